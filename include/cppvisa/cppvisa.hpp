/// @file cppvisa.hpp
/// @brief The umbrella header: everything a cppvisa user needs.
#pragma once

#include <cppvisa/aliases.hpp>
#include <cppvisa/attributes.hpp>
#include <cppvisa/backend.hpp>
#include <cppvisa/discovery.hpp>
#include <cppvisa/error.hpp>
#include <cppvisa/export.hpp>
#include <cppvisa/message_based.hpp>
#include <cppvisa/resource.hpp>
#include <cppvisa/resource_info.hpp>
#include <cppvisa/resource_manager.hpp>
#include <cppvisa/resource_name.hpp>
#include <cppvisa/resource_query.hpp>
#include <cppvisa/status.hpp>
#include <cppvisa/resources.hpp>
#include <cppvisa/types.hpp>
#include <cppvisa/values.hpp>
#include <cppvisa/version.hpp>
