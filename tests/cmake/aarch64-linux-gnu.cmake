# An ordinary CMake toolchain file for AArch64 Linux with Debian's cross gcc. Programs are linked
# statically so that qemu-aarch64 runs them without a target sysroot. kiln_add_model() takes the
# Kiln triple from CMAKE_SYSTEM_PROCESSOR.
set(CMAKE_SYSTEM_NAME Linux)
set(CMAKE_SYSTEM_PROCESSOR aarch64)
set(CMAKE_C_COMPILER aarch64-linux-gnu-gcc)
set(CMAKE_EXE_LINKER_FLAGS_INIT "-static")
set(CMAKE_FIND_ROOT_PATH_MODE_PROGRAM NEVER)
