// The single translation unit holding Beast's compiled code (BOOST_BEAST_SEPARATE_COMPILATION).
#include <boost/beast/src.hpp>
