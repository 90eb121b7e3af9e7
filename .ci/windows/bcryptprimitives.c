/* A stand-in bcryptprimitives.dll for the Wine test harness ONLY (.ci/wine-smoke.sh): Wine 8.0
 * has no bcryptprimitives.dll, and every Go >= 1.22 Windows program needs its ProcessPrng at
 * start ("fatal error: bcryptprimitives.dll not found"). Real Windows 10/11 has the DLL; this
 * file never ships. ProcessPrng fills the buffer from RtlGenRandom (advapi32 SystemFunction036).
 * Built by wine-smoke.sh: x86_64-w64-mingw32-gcc -shared -o bcryptprimitives.dll
 *   bcryptprimitives.c bcryptprimitives.def -ladvapi32 */
#include <windows.h>

BOOLEAN WINAPI SystemFunction036(PVOID buffer, ULONG length);

BOOL WINAPI ProcessPrng(PBYTE data, SIZE_T len)
{
	while (len > 0) {
		ULONG n = len > 0x7fffffff ? 0x7fffffff : (ULONG)len;
		if (!SystemFunction036(data, n))
			return FALSE;
		data += n;
		len -= n;
	}
	return TRUE;
}
