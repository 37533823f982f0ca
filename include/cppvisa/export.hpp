/// @file export.hpp
/// @brief Symbol visibility: the library is built with hidden visibility and exports what is marked CPPVISA_API.
#pragma once

#if defined(CPPVISA_STATIC_DEFINE)
#define CPPVISA_API
#elif defined(CPPVISA_BUILDING_LIBRARY)
#define CPPVISA_API __attribute__((visibility("default")))
#else
#define CPPVISA_API __attribute__((visibility("default")))
#endif
