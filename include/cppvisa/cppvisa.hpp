/// @file cppvisa.hpp
/// @brief The umbrella header: everything a cppvisa user needs.
#pragma once

#include <cppvisa/aliases.hpp>
#include <cppvisa/attributes.hpp>
#include <cppvisa/backend.hpp>
#include <cppvisa/discovery.hpp>
#include <cppvisa/error.hpp>
#include <cppvisa/export.hpp>
#include <cppvisa/log.hpp>
#include <cppvisa/message_based.hpp>
#include <cppvisa/resource.hpp>
#include <cppvisa/resource_info.hpp>
#include <cppvisa/resource_manager.hpp>
#include <cppvisa/resource_name.hpp>
#include <cppvisa/plot.hpp>
#include <cppvisa/probe.hpp>
#include <cppvisa/progress.hpp>
#include <cppvisa/recording.hpp>
#include <cppvisa/reply.hpp>
#include <cppvisa/resource_query.hpp>
#include <cppvisa/screenshot.hpp>
#include <cppvisa/status.hpp>
#include <cppvisa/system_info.hpp>
#include <cppvisa/text.hpp>
#include <cppvisa/resources.hpp>
#include <cppvisa/types.hpp>
#include <cppvisa/values.hpp>
#include <cppvisa/version.hpp>
