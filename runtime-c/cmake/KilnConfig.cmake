# The Kiln CMake package: find_package(Kiln) gives the C runtime as Kiln::runtime and Kiln::pool
# (built for the machine runtime-c was built on) and kiln_add_model() (KilnModel.cmake).
include(CMakeFindDependencyMacro)
find_dependency(Threads)
include("${CMAKE_CURRENT_LIST_DIR}/KilnTargets.cmake")
include("${CMAKE_CURRENT_LIST_DIR}/KilnModel.cmake")
