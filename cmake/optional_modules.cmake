# Modules that are built only once their folder holds code (guard, voice). Each appends itself to
# VOXGUARD_OPTIONAL_MODULES so the command line links it. VOXGUARD_SKIP_MODULES (a list) leaves some
# out, e.g. for a scanner-only build.
set(VOXGUARD_OPTIONAL_MODULES "")
set(VOXGUARD_SKIP_MODULES "" CACHE STRING "optional modules to leave out (guard;voice)")
foreach(mod guard voice)
  if(EXISTS ${CMAKE_CURRENT_SOURCE_DIR}/src/${mod}/module.cmake AND NOT mod IN_LIST VOXGUARD_SKIP_MODULES)
    include(${CMAKE_CURRENT_SOURCE_DIR}/src/${mod}/module.cmake)
    list(APPEND VOXGUARD_OPTIONAL_MODULES vg_${mod})
  endif()
endforeach()
