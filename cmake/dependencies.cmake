# Dependencies. The core library needs only yaml-cpp and fmt (and threads); libusb, OpenSSL, Cyrus SASL, Avahi
# and libedit are optional: each found one defines CPPVISA_HAVE_<NAME> for the library and the
# configure step ends with a feature summary (FeatureSummary).
include(FeatureSummary)

find_package(Threads REQUIRED)
find_package(yaml-cpp REQUIRED)
set_package_properties(yaml-cpp PROPERTIES TYPE REQUIRED URL "https://github.com/jbeder/yaml-cpp"
  PURPOSE "reads the simulated-instrument definitions (PyVISA-sim's YAML format)")
find_package(fmt REQUIRED)
set_package_properties(fmt PROPERTIES TYPE REQUIRED URL "https://fmt.dev"
  PURPOSE "formatting in the library and the tools")

set(CPPVISA_FEATURE_DEFINITIONS)
set(CPPVISA_FEATURE_LIBRARIES)

find_package(PkgConfig QUIET)
option(CPPVISA_WITH_LIBUSB "Use libusb-1.0 when found (USBTMC and USB RAW)" ON)
option(CPPVISA_WITH_OPENSSL "Use OpenSSL when found (HiSLIP over TLS)" ON)
option(CPPVISA_WITH_SASL "Use Cyrus SASL when found (HiSLIP authentication)" ON)
option(CPPVISA_WITH_AVAHI "Use Avahi when found (mDNS/DNS-SD discovery of LAN instruments)" ON)
option(CPPVISA_WITH_LIBEDIT "Use libedit when found (line editing in interactive tools)" ON)
option(CPPVISA_WITH_LIBPNG "Use libpng when found (PNG output of visa plot)" ON)

if(CPPVISA_WITH_LIBUSB AND PKG_CONFIG_FOUND)
  pkg_check_modules(LIBUSB QUIET IMPORTED_TARGET libusb-1.0)
endif()
set_package_properties(LIBUSB PROPERTIES TYPE OPTIONAL DESCRIPTION "libusb-1.0 (Debian: libusb-1.0-0-dev)"
  URL "https://libusb.info" PURPOSE "USB instruments (USBTMC, USB RAW)")
if(LIBUSB_FOUND)
  list(APPEND CPPVISA_FEATURE_DEFINITIONS CPPVISA_HAVE_LIBUSB=1)
  list(APPEND CPPVISA_FEATURE_LIBRARIES PkgConfig::LIBUSB)
endif()
add_feature_info(usb LIBUSB_FOUND "USB instruments through libusb-1.0")

if(CPPVISA_WITH_OPENSSL)
  find_package(OpenSSL QUIET)
endif()
set_package_properties(OpenSSL PROPERTIES TYPE OPTIONAL DESCRIPTION "OpenSSL (Debian: libssl-dev)"
  URL "https://www.openssl.org" PURPOSE "TLS for HiSLIP (IVI-6.1 version 2.0 secure connections)")
if(OpenSSL_FOUND)
  list(APPEND CPPVISA_FEATURE_DEFINITIONS CPPVISA_HAVE_OPENSSL=1)
  list(APPEND CPPVISA_FEATURE_LIBRARIES OpenSSL::SSL OpenSSL::Crypto)
endif()
add_feature_info(tls OpenSSL_FOUND "HiSLIP over TLS with OpenSSL")

if(CPPVISA_WITH_SASL AND PKG_CONFIG_FOUND)
  pkg_check_modules(SASL QUIET IMPORTED_TARGET libsasl2)
endif()
set_package_properties(SASL PROPERTIES TYPE OPTIONAL DESCRIPTION "Cyrus SASL (Debian: libsasl2-dev, mechanisms in libsasl2-modules)"
  URL "https://www.cyrusimap.org/sasl/" PURPOSE "HiSLIP authentication (IVI-6.1 2.0: ANONYMOUS, PLAIN, SCRAM-SHA-256)")
if(SASL_FOUND)
  # Only the file that calls Cyrus needs to know (others ask sasl_available() at run time).
  set_source_files_properties(${PROJECT_SOURCE_DIR}/src/protocols/hislip/hislip_sasl.cpp
    PROPERTIES COMPILE_DEFINITIONS CPPVISA_HAVE_SASL=1)
  list(APPEND CPPVISA_FEATURE_LIBRARIES PkgConfig::SASL)
endif()
add_feature_info(sasl SASL_FOUND "HiSLIP authentication with Cyrus SASL")

if(CPPVISA_WITH_AVAHI AND PKG_CONFIG_FOUND)
  pkg_check_modules(AVAHI QUIET IMPORTED_TARGET avahi-client)
endif()
set_package_properties(AVAHI PROPERTIES TYPE OPTIONAL DESCRIPTION "Avahi client (Debian: libavahi-client-dev)"
  URL "https://avahi.org" PURPOSE "mDNS/DNS-SD discovery of LAN instruments")
if(AVAHI_FOUND)
  list(APPEND CPPVISA_FEATURE_DEFINITIONS CPPVISA_HAVE_AVAHI=1)
  list(APPEND CPPVISA_FEATURE_LIBRARIES PkgConfig::AVAHI)
endif()
add_feature_info(mdns AVAHI_FOUND "mDNS discovery of LAN instruments with Avahi")

if(CPPVISA_WITH_LIBEDIT AND PKG_CONFIG_FOUND)
  pkg_check_modules(LIBEDIT_PC QUIET IMPORTED_TARGET libedit)
endif()
set_package_properties(LIBEDIT_PC PROPERTIES TYPE OPTIONAL DESCRIPTION "libedit (Debian: libedit-dev)"
  URL "https://thrysoee.dk/editline/" PURPOSE "line editing and history in interactive tools")
if(LIBEDIT_PC_FOUND)
  set(CPPVISA_HAVE_LIBEDIT ON)  # for tools/: link PkgConfig::LIBEDIT_PC
endif()
add_feature_info(line-editing LIBEDIT_PC_FOUND "line editing in interactive tools with libedit")

if(CPPVISA_WITH_LIBPNG AND PKG_CONFIG_FOUND)
  pkg_check_modules(LIBPNG_PC QUIET IMPORTED_TARGET libpng)
endif()
set_package_properties(LIBPNG_PC PROPERTIES TYPE OPTIONAL DESCRIPTION "libpng (Debian: libpng-dev)"
  URL "http://www.libpng.org/pub/png/libpng.html" PURPOSE "PNG output of visa plot")
if(LIBPNG_PC_FOUND)
  set(CPPVISA_HAVE_LIBPNG ON)  # for tools/: link PkgConfig::LIBPNG_PC
endif()
add_feature_info(png LIBPNG_PC_FOUND "PNG files from visa plot with libpng")
