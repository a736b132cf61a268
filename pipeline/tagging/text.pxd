# Build-time C types for text.py (an augmenting .pxd: the .py stays plain Python).
import cython

# The fold's loop: C characters and offsets, the output and the table as C byte buffers.
@cython.locals(out=bytearray, buf=cython.p_uchar, tbl=cython.p_uchar, k=Py_ssize_t,
               ch=Py_UCS4, code=Py_ssize_t)
cpdef bytes fold_bytes(str text, bytes table, wide)
