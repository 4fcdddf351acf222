# voice module: SIP/SDP/RTP/RTCP inspection, codec decoding, audio detectors, scrubbing.
# Included by cmake/optional_modules.cmake; defines vg_voice.
pkg_check_modules(PCAP REQUIRED IMPORTED_TARGET libpcap)
pkg_check_modules(OPUS REQUIRED IMPORTED_TARGET opus)
pkg_check_modules(FFTW3F REQUIRED IMPORTED_TARGET fftw3f)
pkg_check_modules(NFQ IMPORTED_TARGET libnetfilter_queue)
file(GLOB_RECURSE vg_voice_srcs CONFIGURE_DEPENDS ${CMAKE_CURRENT_SOURCE_DIR}/src/voice/*.cpp)
add_library(vg_voice STATIC ${vg_voice_srcs})
target_include_directories(vg_voice PUBLIC ${CMAKE_CURRENT_SOURCE_DIR}/src)
target_link_libraries(vg_voice PUBLIC vg_common PkgConfig::PCAP PkgConfig::OPUS PkgConfig::FFTW3F)
if(NFQ_FOUND)
  target_link_libraries(vg_voice PUBLIC PkgConfig::NFQ)
  target_compile_definitions(vg_voice PUBLIC VOXGUARD_HAVE_NFQUEUE=1)
endif()
