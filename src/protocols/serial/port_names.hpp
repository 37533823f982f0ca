// serial port names: from an ASRL resource name to a device path, and the ports present now.
#pragma once

#include <cppvisa/resource_name.hpp>

#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace cppvisa::serial {

/// The device a name opens (docs/serial.md): a board that is a path (`ASRL/dev/ttyUSB0::INSTR`)
/// is used as given; a number N >= 1 (`ASRL1::INSTR`) and `COMN` are /dev/ttyS<N-1> (COM1 is the
/// first UART, as NI-VISA numbers them on Linux); a bare device name
/// (`ASRLttyUSB0::INSTR`) is looked up in /dev. nullopt for anything else (ASRL0, pyserial URLs).
std::optional<std::string> device_path(const ResourceName& name);

/// The canonical resource name for a device path: "ASRL<N+1>::INSTR" for /dev/ttyS<N>, else
/// "ASRL<path>::INSTR".
std::string resource_name_for(std::string_view path);

/// Serial ports present now, as canonical ASRL INSTR names: /dev/ttyS* that have a UART behind
/// them, /dev/ttyUSB* and /dev/ttyACM* that the caller may read and write, and the links in
/// /dev/serial/by-id. Ports are not opened (opening toggles DTR, which resets many boards).
std::vector<std::string> list_ports();

}  // namespace cppvisa::serial
