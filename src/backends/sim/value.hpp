// sim::Value: a simulated property's value with Python's typing rules (PyVISA-sim):
// a property with `specs: type` holds a float, an int or a str; one without specs holds whatever
// its default or its setter gave (a string from YAML, or the setter field's type).
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <variant>

namespace cppvisa::sim {

/// A value: str, int or float (Python's three property types).
using Value = std::variant<std::string, std::int64_t, double>;

/// The `specs: type` of a property; `untyped` when the property has no specs.
enum class ValueType { untyped, str, integer, floating };

/// "str", "int", "float", "untyped".
std::string_view type_name(ValueType t) noexcept;
/// "str", "int", "float" for the value's dynamic type.
std::string_view type_name(const Value& v) noexcept;

/// Python's str(): ints in decimal, floats as repr (shortest round trip, "100.0", "1e+16").
std::string python_str(const Value& v);
/// Python's repr() of a float.
std::string python_float_repr(double d);

/// Python's int(text): optional whitespace, sign, decimal digits (underscores between digits).
std::optional<std::int64_t> parse_python_int(std::string_view text);
/// Python's float(text): optional whitespace, decimal/exponent forms, inf, nan.
std::optional<double> parse_python_float(std::string_view text);

/// Converts a value to a property type as Python's int()/float()/str() would (int(5.5) == 5,
/// int("5.5") fails). `untyped` returns the value unchanged. nullopt when the conversion fails.
std::optional<Value> convert_value(const Value& v, ValueType to);

/// Python's comparison for values of one type: <0, 0, >0; nullopt when not comparable (str vs number).
std::optional<int> compare_values(const Value& a, const Value& b);

}  // namespace cppvisa::sim
