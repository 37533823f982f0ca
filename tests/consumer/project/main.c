/* A C program outside the project: asks the simulated oscilloscope who it is through libvisa.so
 * and the standard VISA C API (run with CPPVISA_SIM=default).
 * Usage: consumer_c <expected substring of *IDN?> */
#include <stdio.h>
#include <string.h>

#include <visa.h>

int main(int argc, char** argv) {
  const char* expected = argc > 1 ? argv[1] : "SIMSCOPE-1000";
  ViSession rm = VI_NULL, scope = VI_NULL;
  ViChar idn[256] = "";
  ViStatus status = viOpenDefaultRM(&rm);
  if (status < VI_SUCCESS) {
    fprintf(stderr, "viOpenDefaultRM: 0x%08X\n", (unsigned int)status);
    return 1;
  }
  status = viOpen(rm, "TCPIP::sim-scope::INSTR", VI_NULL, 2000, &scope);
  if (status >= VI_SUCCESS) {
    viSetAttribute(scope, VI_ATTR_TERMCHAR_EN, VI_TRUE);
    status = viQueryf(scope, "*IDN?\n", "%255[^\r\n]", idn);
  }
  if (status < VI_SUCCESS) {
    ViChar desc[256];
    viStatusDesc(rm, status, desc);
    fprintf(stderr, "consumer_c: %s (0x%08X)\n", desc, (unsigned int)status);
    viClose(rm);
    return 1;
  }
  printf("libvisa: %s\n", idn);
  viClose(scope);
  viClose(rm);
  if (strstr(idn, expected) == NULL) {
    fprintf(stderr, "expected '%s' in the answer\n", expected);
    return 1;
  }
  return 0;
}
