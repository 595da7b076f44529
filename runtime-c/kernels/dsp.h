/*
 * Pairs of 16-bit products for the int8 kernels: on cores with the Arm DSP extension (Cortex-M4,
 * Cortex-M7: __ARM_FEATURE_DSP) kiln_dot2 is one SMLAD through the ACLE intrinsic, which multiplies
 * the two halves of its operands and adds both products to the accumulator. The int8 kernels feed
 * it zero-point-corrected values in [-255, 255], so every product and the sums they document stay
 * exact, and the result is the same as the plain C loops give on other cores.
 */
#ifndef KILN_KERNELS_DSP_H
#define KILN_KERNELS_DSP_H

#include <stdint.h>

#if defined(__ARM_FEATURE_DSP) && __ARM_FEATURE_DSP
#include <arm_acle.h>
#define KILN_HAS_DSP 1

/* lo in the low half, hi in the high half; both in [-32768, 32767]. */
static inline int32_t kiln_pack16x2(int32_t lo, int32_t hi) {
  return (int32_t)(((uint32_t)hi << 16) | ((uint32_t)lo & 0xffffu));
}

/* acc + lo(a) * lo(b) + hi(a) * hi(b), as SMLAD computes it. */
static inline int32_t kiln_dot2(int32_t a, int32_t b, int32_t acc) {
  return __smlad(a, b, acc);
}
#else
#define KILN_HAS_DSP 0
#endif

#endif
