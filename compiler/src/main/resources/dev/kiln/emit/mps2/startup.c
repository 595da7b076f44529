/*
 * Board support for QEMU's Arm MPS2 machines (mps2-an386: Cortex-M4, mps2-an500: Cortex-M7) with
 * newlib and semihosting (librdimon): the vector table, a reset handler that copies .data, clears
 * .bss, enables the FPU, opens the semihosting console and files, reads the command line QEMU was
 * given (-semihosting-config arg=...) into argv, and calls main; exit() reports main's status to
 * QEMU. A fault prints its name and stops QEMU with a run-time error. Memory is laid out by mps2.ld.
 * Also the pieces newlib's ARM build lacks: posix_memalign (for aligned_alloc), _init and _fini.
 */
#include <errno.h>
#include <malloc.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

extern int main(int argc, char **argv);
extern void initialise_monitor_handles(void);

extern uint32_t __data_load__[], __data_start__[], __data_end__[];
extern uint32_t __bss_start__[], __bss_end__[];
extern uint32_t __stack_top__[];

#define SYS_GET_CMDLINE 0x15
#define SYS_EXIT 0x18
#define ADP_STOPPED_RUN_TIME_ERROR 0x20023
#define CPACR (*(volatile uint32_t *)0xE000ED88u)
#define MAX_ARGS 64

static char command_line[4096];
static char *arguments[MAX_ARGS + 1];

static int semihost(int op, void *arg) {
  register int r0 __asm__("r0") = op;
  register void *r1 __asm__("r1") = arg;
  __asm__ volatile("bkpt 0xab" : "+r"(r0) : "r"(r1) : "memory");
  return r0;
}

/* Splits the command line at spaces into arguments (the harness's paths have none). */
static int split_command_line(void) {
  struct {
    char *buffer;
    int length;
  } block = {command_line, (int)sizeof command_line - 1};
  int argc = 0;
  if (semihost(SYS_GET_CMDLINE, &block) != 0) {
    return 0;
  }
  command_line[block.length] = '\0';
  for (char *p = command_line; *p != '\0' && argc < MAX_ARGS;) {
    while (*p == ' ') {
      *p++ = '\0';
    }
    if (*p == '\0') {
      break;
    }
    arguments[argc++] = p;
    while (*p != '\0' && *p != ' ') {
      p++;
    }
  }
  arguments[argc] = NULL;
  return argc;
}

/* newlib's aligned_alloc calls this, which its ARM build leaves out. */
int posix_memalign(void **out, size_t alignment, size_t size);

int posix_memalign(void **out, size_t alignment, size_t size) {
  void *p = memalign(alignment, size);
  if (p == NULL) {
    return ENOMEM;
  }
  *out = p;
  return 0;
}

/* The C library's constructor and destructor hooks (crti.o's, which -nostartfiles leaves out). */
void _init(void);
void _fini(void);

void _init(void) {
}

void _fini(void) {
}

void reset_handler(void);

void reset_handler(void) {
  for (uint32_t *src = __data_load__, *dst = __data_start__; dst < __data_end__;) {
    *dst++ = *src++;
  }
  for (uint32_t *dst = __bss_start__; dst < __bss_end__;) {
    *dst++ = 0;
  }
  CPACR |= 0xFu << 20; /* CP10 and CP11: full access to the FPU */
  __asm__ volatile("dsb\n\tisb" ::: "memory");
  initialise_monitor_handles();
  int argc = split_command_line();
  exit(main(argc, arguments));
}

static void stop(const char *what) {
  fprintf(stderr, "%s\n", what);
  fflush(stderr);
  semihost(SYS_EXIT, (void *)(uintptr_t)ADP_STOPPED_RUN_TIME_ERROR);
  for (;;) {
  }
}

static void nmi_handler(void) {
  stop("fault: NMI");
}

static void hard_fault_handler(void) {
  stop("fault: hard fault");
}

static void mem_manage_handler(void) {
  stop("fault: memory management");
}

static void bus_fault_handler(void) {
  stop("fault: bus fault");
}

static void usage_fault_handler(void) {
  stop("fault: usage fault");
}

static void unexpected_handler(void) {
  stop("fault: unexpected exception");
}

typedef void (*kiln_handler_t)(void);

__attribute__((section(".vectors"), used)) static const kiln_handler_t vectors[16] = {
    (kiln_handler_t)(uintptr_t)__stack_top__,
    reset_handler,
    nmi_handler,
    hard_fault_handler,
    mem_manage_handler,
    bus_fault_handler,
    usage_fault_handler,
    0,
    0,
    0,
    0,
    unexpected_handler,
    unexpected_handler,
    0,
    unexpected_handler,
    unexpected_handler};
