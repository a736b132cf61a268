# Build-time C types for text.py (an augmenting .pxd: the .py stays plain Python).
import cython

# The fold's loop: C characters and offsets, the output and the table as C byte buffers.
@cython.locals(out=bytearray, buf=cython.p_uchar, tbl=cython.p_uchar, k=Py_ssize_t,
               ch=Py_UCS4, code=Py_ssize_t)
cpdef bytes fold_bytes(str text, bytes table, wide)

# The word hash's constants as C integers (module globals would be Python ints).
cdef unsigned int _FNV_OFFSET, _FNV_PRIME, _MASK32, _GOLDEN32

@cython.locals(h=cython.uint, c=cython.uchar)
cdef unsigned int _word_hash(bytes word)

@cython.locals(h=cython.uint, parent=cython.uint)
cdef unsigned int _edge_key(unsigned int h, unsigned int parent) noexcept

# The word matcher: its tables as C attributes, the word loop over C bytes and ints.
cdef class WordMatcher:
    cdef readonly int[::1] _patterns
    cdef readonly unsigned int[::1] _table
    cdef readonly bytes _more, _blob, _filter
    cdef readonly unsigned int _bit_mask, _slot_mask
    cdef readonly int _bit_shift

    @cython.locals(out=list, buf=cython.p_uchar, filt=cython.p_uchar,
                   more=cython.p_uchar, mask=cython.uint, shift=cython.int, n=Py_ssize_t,
                   prev=Py_ssize_t, h=cython.uint, h2=cython.uint, last_end=Py_ssize_t,
                   at=Py_ssize_t, j=Py_ssize_t, c=cython.uchar, a=cython.uint,
                   b=cython.uint, node=cython.uint, stop=Py_ssize_t, index=cython.int,
                   k=Py_ssize_t, blob=cython.p_uchar)
    cpdef list find_matches_as_indexes(self, bytes haystack, bint overlapping=*)

    @cython.locals(key=cython.uint, slot=cython.uint, length=Py_ssize_t, base=Py_ssize_t,
                   child=cython.uint, word=cython.uint, offset=Py_ssize_t, k=Py_ssize_t)
    cdef unsigned int _child(self, const unsigned char *blob,
                             const unsigned char *buf, Py_ssize_t start, Py_ssize_t stop,
                             unsigned int parent, unsigned int h) noexcept
