/// @file export.hpp
/// @brief Symbol visibility: the library is built with hidden visibility and exports what is marked CPPVISA_API.
#pragma once

#if defined(CPPVISA_STATIC_DEFINE)
/// Marks a class or function as exported from libcppvisa (empty for a static build).
#define CPPVISA_API
#elif defined(CPPVISA_BUILDING_LIBRARY)
/// Exported with default visibility while building the shared library.
#define CPPVISA_API __attribute__((visibility("default")))
#else
/// Default visibility for users of the shared library.
#define CPPVISA_API __attribute__((visibility("default")))
#endif
