# src/guard/module.cmake — the behaviour guard (vg_guard): address-book assets, journal, policy,
# discovery, fanotify enforcement and the BPF LSM sensor. Included by cmake/optional_modules.cmake.
pkg_check_modules(GUARD_SQLITE REQUIRED IMPORTED_TARGET sqlite3)
pkg_check_modules(GUARD_LIBBPF IMPORTED_TARGET libbpf)

file(GLOB_RECURSE vg_guard_srcs CONFIGURE_DEPENDS ${CMAKE_CURRENT_SOURCE_DIR}/src/guard/*.cpp)
add_library(vg_guard STATIC ${vg_guard_srcs})
# bpftool embeds the BPF object in the skeleton header as one long string literal.
if(CMAKE_CXX_COMPILER_ID STREQUAL "Clang")
  target_compile_options(vg_guard PRIVATE -Wno-overlength-strings)
endif()
target_include_directories(vg_guard PUBLIC ${CMAKE_CURRENT_SOURCE_DIR}/src)
target_link_libraries(vg_guard PUBLIC vg_common vg_scan PkgConfig::GUARD_SQLITE)

# BPF LSM program: compiled for the running kernel's BTF at build time (CO-RE), turned into a libbpf
# skeleton header; nothing prebuilt is committed. Without clang/bpftool/BTF/libbpf the guard is built
# without the BPF sensor and `voxguard guard doctor` says so.
find_program(VG_BPF_CLANG NAMES clang clang-14)
find_program(VG_BPFTOOL NAMES bpftool PATHS /usr/sbin /sbin)
set(VG_VMLINUX_BTF /sys/kernel/btf/vmlinux CACHE FILEPATH "Kernel BTF used to generate vmlinux.h")
if(GUARD_LIBBPF_FOUND AND VG_BPF_CLANG AND VG_BPFTOOL AND EXISTS ${VG_VMLINUX_BTF})
  set(gen ${CMAKE_CURRENT_BINARY_DIR}/guard_bpf)
  file(MAKE_DIRECTORY ${gen})
  add_custom_command(OUTPUT ${gen}/vmlinux.h
    COMMAND ${VG_BPFTOOL} btf dump file ${VG_VMLINUX_BTF} format c > ${gen}/vmlinux.h
    COMMENT "Generating vmlinux.h from ${VG_VMLINUX_BTF}" VERBATIM)
  set(vg_bpf_progs guard_lsm probe_lsm)
  set(vg_skels "")
  foreach(prog ${vg_bpf_progs})
    set(src ${CMAKE_CURRENT_SOURCE_DIR}/src/guard/bpf/${prog}.bpf.c)
    add_custom_command(OUTPUT ${gen}/${prog}.bpf.o
      COMMAND ${VG_BPF_CLANG} -g -O2 -target bpf -D__TARGET_ARCH_x86 -I${gen}
              -I${CMAKE_CURRENT_SOURCE_DIR}/src/guard/bpf -c ${src} -o ${gen}/${prog}.bpf.o
      DEPENDS ${src} ${gen}/vmlinux.h ${CMAKE_CURRENT_SOURCE_DIR}/src/guard/bpf/guard_maps.h
      COMMENT "Compiling BPF program ${prog}" VERBATIM)
    add_custom_command(OUTPUT ${gen}/${prog}.skel.h
      COMMAND ${VG_BPFTOOL} gen skeleton ${gen}/${prog}.bpf.o name ${prog} > ${gen}/${prog}.skel.h
      DEPENDS ${gen}/${prog}.bpf.o
      COMMENT "Generating BPF skeleton ${prog}.skel.h" VERBATIM)
    list(APPEND vg_skels ${gen}/${prog}.skel.h)
  endforeach()
  add_custom_target(vg_guard_bpf_skeletons DEPENDS ${vg_skels})
  add_dependencies(vg_guard vg_guard_bpf_skeletons)
  target_include_directories(vg_guard PRIVATE ${gen})
  target_compile_definitions(vg_guard PRIVATE VOXGUARD_HAVE_BPF=1)
  target_link_libraries(vg_guard PUBLIC PkgConfig::GUARD_LIBBPF)
else()
  message(STATUS "voxguard guard: BPF LSM sensor disabled (need libbpf, clang, bpftool and ${VG_VMLINUX_BTF})")
  target_compile_definitions(vg_guard PRIVATE VOXGUARD_HAVE_BPF=0)
endif()
