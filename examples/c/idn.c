/* idn.c - asks every instrument the VISA library finds who it is, with the standard VISA C API.
 *
 * Build against any VISA (cppvisa's, NI's, Keysight's):  cc idn.c -lvisa -o idn
 * Run:  ./idn ["?*::INSTR"]      (with cppvisa: CPPVISA_SIM=default ./idn for simulated instruments)
 */
#include <stdio.h>
#include <string.h>

#include <visa.h>

static void report(ViSession vi, ViStatus status, const char* what) {
  ViChar desc[256];
  viStatusDesc(vi, status, desc);
  fprintf(stderr, "%s: %s (0x%08X)\n", what, desc, (unsigned int)status);
}

int main(int argc, char** argv) {
  const char* expr = argc > 1 ? argv[1] : "?*::INSTR";
  ViSession rm = VI_NULL;
  ViStatus status = viOpenDefaultRM(&rm);
  if (status < VI_SUCCESS) {
    report(VI_NULL, status, "viOpenDefaultRM");
    return 1;
  }

  ViFindList list = VI_NULL;
  ViUInt32 count = 0;
  ViChar name[VI_FIND_BUFLEN];
  status = viFindRsrc(rm, expr, &list, &count, name);
  if (status == VI_ERROR_RSRC_NFOUND) {
    printf("no resource matches %s\n", expr);
    viClose(rm);
    return 0;
  }
  if (status < VI_SUCCESS) {
    report(rm, status, "viFindRsrc");
    viClose(rm);
    return 1;
  }

  int failures = 0;
  for (ViUInt32 i = 0; i < count; ++i) {
    if (i > 0 && viFindNext(list, name) < VI_SUCCESS) break;
    ViSession instr = VI_NULL;
    status = viOpen(rm, name, VI_NULL, VI_NULL, &instr);
    if (status < VI_SUCCESS) {
      report(rm, status, name);
      ++failures;
      continue;
    }
    viSetAttribute(instr, VI_ATTR_TMO_VALUE, 2000);
    viSetAttribute(instr, VI_ATTR_TERMCHAR, '\n');
    viSetAttribute(instr, VI_ATTR_TERMCHAR_EN, VI_TRUE);

    ViChar idn[256] = "";
    status = viQueryf(instr, "*IDN?\n", "%255[^\r\n]", idn);
    if (status < VI_SUCCESS) {
      report(instr, status, name);
      ++failures;
    } else {
      printf("%s: %s\n", name, idn);
    }
    viClose(instr);
  }
  viClose(list);
  viClose(rm);
  return failures ? 1 : 0;
}
