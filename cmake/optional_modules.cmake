# Modules that are built only once their folder holds code (guard, voice). Each appends itself to
# VOXGUARD_OPTIONAL_MODULES so the command line links it.
set(VOXGUARD_OPTIONAL_MODULES "")
foreach(mod guard voice)
  if(EXISTS ${CMAKE_CURRENT_SOURCE_DIR}/src/${mod}/module.cmake)
    include(${CMAKE_CURRENT_SOURCE_DIR}/src/${mod}/module.cmake)
    list(APPEND VOXGUARD_OPTIONAL_MODULES vg_${mod})
  endif()
endforeach()
