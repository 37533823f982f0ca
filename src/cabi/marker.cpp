// A string by which the installer recognises a libvisa.so built by cppvisa (and so never
// replaces another vendor's VISA library): see install_visa.cmake.
extern "C" __attribute__((used, visibility("hidden"))) const char cppvisa_libvisa_marker[] =
    "cppvisa-libvisa-marker: the VISA C API over cppvisa";
