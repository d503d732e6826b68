# Writes a one-line C file including SRC (rooted at the project): rewritten,
# so newer, whenever its DEPENDS change (see CMakeLists.txt).
file(WRITE ${OUT} "/* generated: the guest build of ${SRC} */\n#include \"${SRC}\"\n")
