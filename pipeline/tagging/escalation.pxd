import cython

# Augmenting declarations for the Cython build (the .py stays plain Python, see setup.py).
# The per-sentence and per-signal helpers are cpdef, so that the module's own calls are
# direct C calls, with C integers for offsets (always small ints: positions in a text).

@cython.locals(start=Py_ssize_t, pos=Py_ssize_t, p=Py_ssize_t, q=Py_ssize_t, n=Py_ssize_t,
               end=Py_ssize_t)
cpdef tuple _sentence_span(str text, Py_ssize_t offset, Py_ssize_t lo=*, str stops=*)

@cython.locals(text=str)
cpdef Py_ssize_t _stop_end(source, Py_ssize_t p) except? -2

cpdef Py_ssize_t _is_boundary(str text, Py_ssize_t p) except? -2

@cython.locals(end3=str, window=str, word=str)
cpdef bint _abbreviation_before(str text, Py_ssize_t p) except -1

@cython.locals(a_start=Py_ssize_t, a_end=Py_ssize_t, gap=Py_ssize_t, before_gap=Py_ssize_t,
               after_gap=Py_ssize_t)
cpdef list _actors(str text, Py_ssize_t start, Py_ssize_t end, list spans)

@cython.locals(text=str, words=str)
cpdef bint _agent_follows(source, Py_ssize_t end, Py_ssize_t gap) except -1

cpdef list _ordered_actors(text, Py_ssize_t start, Py_ssize_t end, spans)

@cython.locals(country=dict, ev=dict, entity=dict, m=dict)
cpdef list _actor_spans(countries, entities, str field)

@cython.locals(span=tuple, start=Py_ssize_t)
cpdef list _spans_in(list spans, Py_ssize_t s0, Py_ssize_t s1)

@cython.locals(end_idx=Py_ssize_t, space=Py_ssize_t, head_end=Py_ssize_t)
cpdef list _resolve(hits, str padded, str text)
