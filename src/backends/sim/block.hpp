// Binary block replies (cppvisa extension of the simulation format): the IEEE 488.2 §7.7.6.2
// definite-length arbitrary block header, and the data of a `block:` reply (numbers of one type,
// fixed or drawn with Python's random.uniform).
#pragma once

#include "backends/sim/model.hpp"
#include "backends/sim/python_random.hpp"

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace cppvisa::sim {

/// "#<n><length>" for `length` data bytes (n, one digit, counts the digits of length). nullopt
/// when length needs more than 9 digits, which a definite-length block cannot announce.
std::optional<std::string> definite_block_header(std::uint64_t length);

/// The block data type named in a file ("int8", "uint16", "float32" ...), or nullopt.
std::optional<BlockDef::DataType> block_data_type(std::string_view name);

/// Appends `value` encoded as `type` (integers converted as Python's int() truncates; a value
/// out of the type's range or not finite returns false and appends nothing).
bool append_block_value(std::string& out, double value, BlockDef::DataType type, bool big_endian);

/// The whole block, header included: the fixed data, then `random_count` values drawn with
/// uniform(min, max) from `rng` when random_range is set.
std::string render_block(const BlockDef& block, PythonRandom& rng);

}  // namespace cppvisa::sim
