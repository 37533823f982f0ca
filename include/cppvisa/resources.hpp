/// @file resources.hpp
/// @brief The typed resource classes, chosen from the resource name by ResourceManager::open_resource
/// (PyVISA's registry: pyvisa-api §4, §7).
#pragma once

#include <cppvisa/message_based.hpp>

namespace cppvisa {

/// ASRL INSTR (and the base of PRLGX-ASRL INTFC): serial settings as properties.
class CPPVISA_API SerialInstrument : public MessageBasedResource {
 public:
  std::string_view class_name() const noexcept override { return "SerialInstrument"; }
  std::uint32_t baud_rate() const;
  void set_baud_rate(std::uint32_t baud);
  std::uint16_t data_bits() const;
  void set_data_bits(std::uint16_t bits);
  Parity parity() const;
  void set_parity(Parity p);
  StopBits stop_bits() const;
  void set_stop_bits(StopBits s);
  FlowControl flow_control() const;
  void set_flow_control(FlowControl f);
  SerialTermination end_input() const;
  void set_end_input(SerialTermination t);
  SerialTermination end_output() const;
  void set_end_output(SerialTermination t);
  std::uint32_t bytes_in_buffer() const;
  bool discard_null() const;
  void set_discard_null(bool on);
  std::int16_t break_length() const;
  void set_break_length(std::int16_t ms);

 protected:
  using MessageBasedResource::MessageBasedResource;
  friend class ResourceManager;
  const Property* find_property(std::string_view name) const override;
  void collect_property_names(std::vector<std::string>& out) const override;
};

/// Resources with a REN line (GPIB, TCPIP INSTR, USB INSTR, VICP): control_ren.
class CPPVISA_API ControlRenResource : public MessageBasedResource {
 public:
  void control_ren(RenMode mode);
  void control_ren(RenMode mode, std::error_code& ec);

 protected:
  using MessageBasedResource::MessageBasedResource;
};

/// TCPIP INSTR (VXI-11 and HiSLIP).
class CPPVISA_API TCPIPInstrument : public ControlRenResource {
 public:
  std::string_view class_name() const noexcept override { return "TCPIPInstrument"; }

 protected:
  using ControlRenResource::ControlRenResource;
  friend class ResourceManager;
};

/// TCPIP SOCKET (raw SCPI socket).
class CPPVISA_API TCPIPSocket : public MessageBasedResource {
 public:
  std::string_view class_name() const noexcept override { return "TCPIPSocket"; }

 protected:
  using MessageBasedResource::MessageBasedResource;
  friend class ResourceManager;
};

/// VICP INSTR (Teledyne LeCroy).
class CPPVISA_API VICPInstrument : public ControlRenResource {
 public:
  std::string_view class_name() const noexcept override { return "VICPInstrument"; }

 protected:
  using ControlRenResource::ControlRenResource;
  friend class ResourceManager;
};

/// USB INSTR (USBTMC).
class CPPVISA_API USBInstrument : public ControlRenResource {
 public:
  std::string_view class_name() const noexcept override { return "USBInstrument"; }
  std::string serial_number() const;
  std::uint16_t manufacturer_id() const;
  std::uint16_t model_code() const;
  std::string manufacturer_name() const;
  std::string model_name() const;
  std::vector<std::byte> control_in(std::int16_t request_type, std::int16_t request, std::uint16_t value,
                                    std::uint16_t index, std::uint16_t length = 0);
  void control_out(std::int16_t request_type, std::int16_t request, std::uint16_t value, std::uint16_t index,
                   std::span<const std::byte> data = {});

 protected:
  using ControlRenResource::ControlRenResource;
  friend class ResourceManager;
};

/// USB RAW.
class CPPVISA_API USBRaw : public MessageBasedResource {
 public:
  std::string_view class_name() const noexcept override { return "USBRaw"; }

 protected:
  using MessageBasedResource::MessageBasedResource;
  friend class ResourceManager;
};

/// GPIB INSTR.
class CPPVISA_API GPIBInstrument : public ControlRenResource {
 public:
  std::string_view class_name() const noexcept override { return "GPIBInstrument"; }
  std::uint16_t primary_address() const;
  std::uint16_t secondary_address() const;  ///< 0xFFFF (VI_NO_SEC_ADDR) when none
  /// Waits until the device requests service (status byte bit 6), up to `timeout_ms`.
  void wait_for_srq(std::uint32_t timeout_ms = 25000);

 protected:
  using ControlRenResource::ControlRenResource;
  friend class ResourceManager;
};

/// GPIB INTFC.
class CPPVISA_API GPIBInterface : public ControlRenResource {
 public:
  std::string_view class_name() const noexcept override { return "GPIBInterface"; }
  std::size_t send_command(std::span<const std::byte> data);
  void send_ifc();
  void control_atn(std::uint16_t mode);
  void pass_control(std::uint16_t primary, std::uint16_t secondary = 0xFFFF);

 protected:
  using ControlRenResource::ControlRenResource;
  friend class ResourceManager;
};

/// PRLGX-TCPIP INTFC (Prologix GPIB-ETHERNET).
class CPPVISA_API PrlgxTCPIPIntfc : public MessageBasedResource {
 public:
  std::string_view class_name() const noexcept override { return "PrlgxTCPIPIntfc"; }

 protected:
  using MessageBasedResource::MessageBasedResource;
  friend class ResourceManager;
};

/// PRLGX-ASRL INTFC (Prologix GPIB-USB over a serial port).
class CPPVISA_API PrlgxASRLIntfc : public SerialInstrument {
 public:
  std::string_view class_name() const noexcept override { return "PrlgxASRLIntfc"; }

 protected:
  using SerialInstrument::SerialInstrument;
  friend class ResourceManager;
};

/// Register-based resources (VXI, PXI, GPIB-VXI INSTR/MEMACC/BACKPLANE): attributes, locks and
/// events; memory access comes with a register-capable backend.
class CPPVISA_API RegisterBasedResource : public Resource {
 public:
  std::string_view class_name() const noexcept override { return "RegisterBasedResource"; }

 protected:
  using Resource::Resource;
  friend class ResourceManager;
};

}  // namespace cppvisa
