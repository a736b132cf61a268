import cython

# Augmenting declarations for the Cython build (the .py stays plain Python, see setup.py):
# the tagger becomes an extension type, so that reading its tables is a struct read and
# its own per-field methods are direct C calls; the per-match loops get C integer offsets
# (always small ints: offsets in one field) and know their str / list / dict / tuple types,
# so slicing a field and indexing the tables skip the generic object protocol. The offsets
# that go into a hit or an evidence dict are also kept as the Python ints they came as
# (at, to): boxing one again costs more than reading it.

# Reading flags and what-else bits: small int constants, tested per match as C ints (the
# module does not export them).
cdef Py_ssize_t _F_PERSON, _F_US_STATE, _F_AFTER_COMMA, _F_NO_CAPS, _F_DOT, _F_PLACE
cdef Py_ssize_t _F_AMOUNT, _F_NAMEWORD, _F_SURNAME, _F_SUFFIX, _F_PREFIX, _F_RARE, _F_SLOW
cdef Py_ssize_t _S_TICKER, _S_REJECT, _S_GIVEN, _COUNT_TERMS

@cython.final
cdef class CountryTagger:
    cdef public object _given, _given_words, _matcher, _values, _names, _followers
    cdef public object _us_followers, _us_preceders, _lookup_exact, _lookup_folded
    cdef public object data_version, size
    cdef public list _plans
    cdef public tuple _plan_cache, _firsts, _weights, _count_weights, _count_terms
    cdef public dict _ric, _dollars

    @cython.locals(upper=bint, cache=dict, firsts=list, first=tuple, plans=list, hits=list,
                   after_given=set, last_start=Py_ssize_t, last_end=Py_ssize_t,
                   index=Py_ssize_t, start=Py_ssize_t, end=Py_ssize_t, k=Py_ssize_t,
                   special=Py_ssize_t, plan=tuple, surface=str)
    cpdef _hits(self, str text)

    @cython.locals(hits=list, after_given=set, lead=Py_ssize_t, dateline_end=Py_ssize_t,
                   first=Py_ssize_t, size=Py_ssize_t, lead_at=Py_ssize_t, body_at=Py_ssize_t,
                   i=Py_ssize_t, start=Py_ssize_t, end=Py_ssize_t, flags=Py_ssize_t,
                   count_at=Py_ssize_t, zone=Py_ssize_t, after=Py_UCS4, plan=tuple, st=list,
                   weight=tuple, found=str, templates=tuple, template=dict, ev=dict, ric=dict,
                   dollars=dict)
    cpdef _field(self, str text, field, Py_ssize_t zone_end, dict stats, dict evidence,
                 tuple scan)

    @cython.locals(st=list, w=tuple, terms=tuple, k=Py_ssize_t, c=Py_ssize_t, total=double)
    cpdef _collect(self, title, body)

    cpdef tuple _dateline(self, str body)

    cpdef tuple _readings_plan(self, str surface, bint upper)

    cpdef tuple _surface_plan(self, str surface, bint upper)

    cpdef lookup(self, surface)

    cpdef bint _person(self, str text, Py_ssize_t start, Py_ssize_t end, bint titleish) except -1

cpdef _record(dict stats, dict evidence, str text, field, Py_ssize_t start, Py_ssize_t end,
              code, via, Py_ssize_t zone)

# Called once per new surface (a plan-cache miss): direct C calls.
cpdef tuple _plan(tuple kept, bint ticker)

cpdef str _padded_normal(str text)

cpdef str _normalise(str text)

cpdef bytes _haystack(str text)

cpdef bytes _fold(str text)

cpdef Py_ssize_t _wide_byte(Py_ssize_t code) except -1

@cython.locals(y=double, d=double, frac=double)
cpdef double _round4(double x)

@cython.locals(ranked=list, scores=list, i=Py_ssize_t, st=list)
cpdef list _by_score(dict stats)

@cython.locals(k=Py_ssize_t, n=Py_ssize_t, ch=Py_UCS4, stop=Py_ssize_t, after=Py_ssize_t)
cpdef Py_ssize_t _lead_end(str body) except -1

@cython.locals(j=Py_ssize_t)
cpdef bint _abbreviation_before(str body, Py_ssize_t dot) except -1

@cython.locals(k=Py_ssize_t)
cpdef list _ric_suffixes(str text)

@cython.locals(words=Py_ssize_t, caps=Py_ssize_t, in_word=bint, ch=Py_UCS4)
cpdef bint _titleish(str text) except -1

@cython.locals(lo=Py_ssize_t, hi=Py_ssize_t, mid=Py_ssize_t)
cpdef Py_ssize_t _first_at(list hits, offset) except -1

cpdef bint _starts_company(str text, Py_ssize_t end, words) except -1

@cython.locals(end=Py_ssize_t, nxt=tuple, readings=list, mine=set)
cpdef bint _followed_by_region(str text, list hits, Py_ssize_t i, bint town=*) except -1
