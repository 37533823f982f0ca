/// @file resources.hpp
/// @brief The typed resource classes, chosen from the resource name by ResourceManager::open_resource
/// (PyVISA's resource class registry).
///
/// Every accessor reads or writes its VISA attribute and throws as Resource::get_visa_attribute()
/// / set_visa_attribute() (InvalidSession when closed; VisaIOError, e.g. VI_ERROR_NSUP_ATTR_STATE
/// for a value the interface does not support).
#pragma once

#include <cppvisa/message_based.hpp>

namespace cppvisa {

/// ASRL INSTR (and the base of PRLGX-ASRL INTFC): serial settings as properties.
class CPPVISA_API SerialInstrument : public MessageBasedResource {
 public:
  std::string_view class_name() const noexcept override { return "SerialInstrument"; }
  std::uint32_t baud_rate() const;  ///< VI_ATTR_ASRL_BAUD in bits per second
  void set_baud_rate(std::uint32_t baud);  ///< sets VI_ATTR_ASRL_BAUD (bits per second)
  std::uint16_t data_bits() const;  ///< VI_ATTR_ASRL_DATA_BITS (5 to 8)
  void set_data_bits(std::uint16_t bits);  ///< sets VI_ATTR_ASRL_DATA_BITS (5 to 8)
  Parity parity() const;  ///< VI_ATTR_ASRL_PARITY
  void set_parity(Parity p);  ///< sets VI_ATTR_ASRL_PARITY
  StopBits stop_bits() const;  ///< VI_ATTR_ASRL_STOP_BITS
  void set_stop_bits(StopBits s);  ///< sets VI_ATTR_ASRL_STOP_BITS
  FlowControl flow_control() const;  ///< VI_ATTR_ASRL_FLOW_CNTRL (bit flags)
  void set_flow_control(FlowControl f);  ///< sets VI_ATTR_ASRL_FLOW_CNTRL
  SerialTermination end_input() const;  ///< VI_ATTR_ASRL_END_IN: what ends a read
  void set_end_input(SerialTermination t);  ///< sets VI_ATTR_ASRL_END_IN
  SerialTermination end_output() const;  ///< VI_ATTR_ASRL_END_OUT: what a write appends for END
  void set_end_output(SerialTermination t);  ///< sets VI_ATTR_ASRL_END_OUT
  std::uint32_t bytes_in_buffer() const;  ///< VI_ATTR_ASRL_AVAIL_NUM: bytes received and not yet read
  bool discard_null() const;  ///< VI_ATTR_ASRL_DISCARD_NULL: NUL bytes are dropped on input
  void set_discard_null(bool on);  ///< sets VI_ATTR_ASRL_DISCARD_NULL
  std::int16_t break_length() const;  ///< VI_ATTR_ASRL_BREAK_LEN in ms (the break sent for END with termination_break)
  void set_break_length(std::int16_t ms);  ///< sets VI_ATTR_ASRL_BREAK_LEN (ms)

 protected:
  using MessageBasedResource::MessageBasedResource;
  friend class ResourceManager;
  /// Adds the serial properties (baud_rate, data_bits, ..., xon_char, xoff_char)
  const Property* find_property(std::string_view name) const override;
  /// Appends the names find_property() adds
  void collect_property_names(std::vector<std::string>& out) const override;
};

/// Resources with a REN line (GPIB, TCPIP INSTR, USB INSTR, VICP): control_ren.
class CPPVISA_API ControlRenResource : public MessageBasedResource {
 public:
  /// viGpibControlREN. @throws InvalidSession when closed; VisaIOError (VI_ERROR_NSUP_OPER where
  /// the protocol has no REN line).
  void control_ren(RenMode mode);
  /// Non-throwing control_ren() (error in `ec`, VI_ERROR_INV_OBJECT when closed)
  void control_ren(RenMode mode, std::error_code& ec);

 protected:
  using MessageBasedResource::MessageBasedResource;
};

/// TCPIP INSTR (VXI-11 and HiSLIP).
///
/// HiSLIP 2.0 secure connections and authentication (docs/hislip.md, "Attributes for certificate
/// checks and credentials"): the accessors below read and write VI_ATTR_TCPIP_HISLIP_ENCRYPTION_EN
/// and cppvisa's VI_ATTR_CPPVISA_TLS_* / VI_ATTR_CPPVISA_SASL_* attributes, which start with the
/// values open used (resource options, credentials file). On a VXI-11 session they throw
/// VisaIOError (VI_ERROR_NSUP_ATTR).
class CPPVISA_API TCPIPInstrument : public ControlRenResource {
 public:
  std::string_view class_name() const noexcept override { return "TCPIPInstrument"; }
  /// VI_ATTR_TCPIP_HISLIP_ENCRYPTION_EN: both HiSLIP channels are encrypted.
  bool encrypted() const;
  /// Sets VI_ATTR_TCPIP_HISLIP_ENCRYPTION_EN. On: TLS with the certificate checks set now
  /// (tls_ca_file(), tls_fingerprint(), tls_verify()), then authentication with the credentials of
  /// set_sasl_credentials() when they changed since the last one (IVI-6.1 2.0 §3.9). @throws
  /// VisaIOError: VI_ERROR_SERVER_CERT_* (the connection is then lost), VI_ERROR_NPERMISSION
  /// (credentials refused; the connection stays encrypted), VI_ERROR_NSUP_OPER (no TLS at the server).
  void set_encryption(bool on);
  /// VI_ATTR_CPPVISA_TLS_CA_FILE ("" = the system trust store), whole whatever its length (the C
  /// API's viGetAttribute, bound to a ViChar[256], gives VI_ERROR_USER_BUF for a path of 256 bytes
  /// or more instead of cutting it).
  std::string tls_ca_file() const;
  /// Sets VI_ATTR_CPPVISA_TLS_CA_FILE. @throws VisaIOError VI_ERROR_FILE_ACCESS when it cannot be read.
  void set_tls_ca_file(const std::string& pem_file);
  std::string tls_fingerprint() const;  ///< VI_ATTR_CPPVISA_TLS_FINGERPRINT ("" = no pin)
  /// Sets VI_ATTR_CPPVISA_TLS_FINGERPRINT (SHA-256, hex, ':' allowed). @throws VisaIOError
  /// VI_ERROR_INV_SETUP when malformed.
  void set_tls_fingerprint(const std::string& sha256);
  bool tls_verify() const;  ///< VI_ATTR_CPPVISA_TLS_VERIFY_EN
  /// Sets VI_ATTR_CPPVISA_TLS_VERIFY_EN (off: any certificate, for self-signed bench instruments).
  void set_tls_verify(bool on);
  /// Sets VI_ATTR_CPPVISA_SASL_MECHANISM ("" = chosen from the server's list), _SASL_USER and
  /// _SASL_PASSWORD (write-only: the password attribute reads ""). Nothing is sent.
  void set_sasl_credentials(const std::string& user, const std::string& password, const std::string& mechanism = {});
  /// VI_ATTR_CPPVISA_SASL_AUTHENTICATED: the session is authenticated.
  bool authenticated() const;
  /// Authenticates now with the credentials set (VI_ATTR_CPPVISA_SASL_AUTHENTICATED = VI_TRUE).
  /// @throws VisaIOError VI_ERROR_NPERMISSION (refused), VI_ERROR_INV_SETUP (no credentials,
  /// or PLAIN without TLS), VI_ERROR_NSUP_OPER (protocol 1.x, no common mechanism).
  void authenticate();

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
  std::string serial_number() const;  ///< VI_ATTR_USB_SERIAL_NUM
  std::uint16_t manufacturer_id() const;  ///< VI_ATTR_MANF_ID: the USB vendor id
  std::uint16_t model_code() const;  ///< VI_ATTR_MODEL_CODE: the USB product id
  std::string manufacturer_name() const;  ///< VI_ATTR_MANF_NAME
  std::string model_name() const;  ///< VI_ATTR_MODEL_NAME
  /// viUsbControlIn: a control transfer asking for up to `length` bytes; returns the bytes received.
  /// `request_type`, `request`, `value`, `index` are the USB 2.0 §9.3 setup fields.
  /// @throws InvalidSession when closed; VisaIOError (VI_ERROR_TMO, VI_ERROR_IO, ...).
  std::vector<std::byte> control_in(std::int16_t request_type, std::int16_t request, std::uint16_t value,
                                    std::uint16_t index, std::uint16_t length = 0);
  /// viUsbControlOut: a control transfer sending `data` (setup fields as control_in()). @throws as control_in().
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
  std::uint16_t primary_address() const;  ///< VI_ATTR_GPIB_PRIMARY_ADDR (0 to 30)
  std::uint16_t secondary_address() const;  ///< 0xFFFF (VI_NO_SEC_ADDR) when none
  /// Waits up to `timeout_ms` ms (tmo_infinite: no limit) until the device requests service
  /// (status byte bit 6, IEEE 488.2 §11.2): enables the VI_EVENT_SERVICE_REQ queue (left enabled),
  /// waits, reads the status byte, then discards queued SRQ events.
  /// @throws VisaIOError (VI_ERROR_TMO when no SRQ came in time); InvalidSession when closed.
  void wait_for_srq(std::uint32_t timeout_ms = 25000);

 protected:
  using ControlRenResource::ControlRenResource;
  friend class ResourceManager;
};

/// GPIB INTFC.
class CPPVISA_API GPIBInterface : public ControlRenResource {
 public:
  std::string_view class_name() const noexcept override { return "GPIBInterface"; }
  /// viGpibCommand: sends `data` as GPIB command bytes (ATN asserted); returns the bytes sent.
  /// @throws InvalidSession when closed; VisaIOError (VI_ERROR_NSUP_OPER on the native and sim
  /// backends, which have no GPIB controller; a vendor library's status through \@ivi).
  std::size_t send_command(std::span<const std::byte> data);
  /// viGpibSendIFC: pulses interface clear (IEEE 488.1). @throws as send_command().
  void send_ifc();
  /// viGpibControlATN with `mode` a VI_GPIB_ATN_* value. @throws as send_command().
  void control_atn(std::uint16_t mode);
  /// viGpibPassControl to `primary` (and `secondary`, 0xFFFF = VI_NO_SEC_ADDR for none). @throws as send_command().
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
