// net: conversion of a socket address (as accept/getpeername give it) to an Endpoint; shared by
// socket.cpp and acceptor.cpp.
#pragma once

#include "protocols/net/socket.hpp"

#include <sys/socket.h>

namespace cppvisa::net {

/// The numeric host (no brackets) and port of an IPv4 or IPv6 address; empty for other families.
Endpoint to_endpoint(const sockaddr_storage& ss);

}  // namespace cppvisa::net
