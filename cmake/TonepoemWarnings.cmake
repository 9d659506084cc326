# Warnings as errors for our own code; third-party headers come in as SYSTEM includes.
function(tonepoem_apply_warnings target)
  target_compile_options(${target} PRIVATE -Wall -Wextra -Wpedantic -Wshadow -Wnon-virtual-dtor
                                           -Wimplicit-fallthrough)
  if(TONEPOEM_WERROR)
    target_compile_options(${target} PRIVATE -Werror)
  endif()
  if(TONEPOEM_SANITIZE)
    target_compile_options(${target} PRIVATE -fsanitize=address,undefined -fno-omit-frame-pointer
                                             -fno-sanitize-recover=undefined)
    target_link_options(${target} PRIVATE -fsanitize=address,undefined)
  endif()
endfunction()
