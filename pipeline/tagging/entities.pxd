import cython

# Augmenting declarations for the Cython build (the .py stays plain Python, see setup.py):
# the per-mention and per-run records become extension types, so that making one and
# reading its fields skip the generic Python class machinery.
cdef class _RunInfo:
    cdef public object depends, initial, plain, run
    cdef public int shout

cdef class _Mention:
    cdef public object canonical, country, cstrength, end, field, kind, role, start, surface
    # The sort key as a C integer (always an int): no int object per mention, and the merge's
    # comparisons of orders are C. (Offsets stay objects: the output dicts share them.)
    cdef public Py_ssize_t order

@cython.locals(m=_Mention)
cpdef _cue_context(kept, cue_lists)

# A body mention's order offset as a C integer (2**40: a mention's order is C arithmetic).
cdef Py_ssize_t _BODY_ORDER

# A mention made by filling the fields (no __init__ call): offsets as C integers.
@cython.locals(m=_Mention)
cpdef _Mention _new_mention(field, Py_ssize_t start, Py_ssize_t end, surface, kind, canonical,
                            country, cstrength, role)

cpdef _attribute(str text, _Mention m, tuple cue, t, org_ends, known, cores)

@cython.locals(cue=tuple, end=Py_ssize_t, best_end=Py_ssize_t)
cpdef _last_cue(list cues, Py_ssize_t pos)

@cython.locals(m=_Mention, best=_Mention, first=_Mention, type_names=dict, prev_order=Py_ssize_t)
cpdef _group(groups, unsorted)

@cython.locals(m=_Mention, last=_Mention, scans=int)
cpdef _merge_article(tagger, title, body, mentions, deferred, acronyms, cue_lists)

# Offsets as C integers: the run's, its piece's and its segments' (all offsets in the text).
@cython.locals(info=_RunInfo, m=_Mention, after_space=dict, paren=bint, s=Py_ssize_t,
               ps=Py_ssize_t, pe=Py_ssize_t, base=Py_ssize_t, rs=Py_ssize_t, re_=Py_ssize_t,
               start=Py_ssize_t, end=Py_ssize_t, n_loud=Py_ssize_t, next_loud=Py_ssize_t,
               k_loud=Py_ssize_t, n=Py_ssize_t, k=Py_ssize_t, entry=tuple)
cpdef _read_entries(tagger, field, str text, list starts, list entries, list out, acronyms,
                    list cues, list loud, list deferred)

cpdef bint _has_loud(list entries)

# The loud path's pass over a field's pieces: C integers, typed run infos.
@cython.locals(ups=list, any_loud=bint, k=Py_ssize_t, s=Py_ssize_t, entry=tuple, piece=tuple,
               info=_RunInfo, shout=int)
cpdef list _loud_starts(str text, list starts, list entries)
@cython.locals(loud=list, m=Py_ssize_t, j=Py_ssize_t, k=Py_ssize_t, s=Py_ssize_t,
               e=Py_ssize_t)
cpdef list _loud_marks(str text, list ups)

# Helpers called per mention or per run: cpdef makes the module's own calls direct C calls;
# typed text, offsets and characters make their indexing direct reads.
@cython.locals(i=Py_ssize_t, ch=Py_UCS4)
cpdef _sentence_initial(str text, Py_ssize_t start)
cpdef _previous_word(text, start)
cpdef _sentence_end_in(text, start, end)
@cython.locals(low=Py_ssize_t, end=Py_ssize_t, k=Py_ssize_t)
cpdef _role_before(str text, Py_ssize_t start, t)
@cython.locals(words=Py_ssize_t, capital=Py_ssize_t, length=Py_ssize_t, ch=Py_UCS4,
               first=Py_UCS4)
cpdef _is_headline(str title)
cpdef _name_parts(canonical)
cpdef list _shouting(str text, list runs)

# The run finder's loops: C integers and characters (compiled, C loops over the text).
@cython.locals(i=Py_ssize_t, end=Py_ssize_t, ch=Py_UCS4, blocked=bint, state=int,
               begin=Py_ssize_t, last=Py_ssize_t, word=Py_ssize_t)
cpdef tuple _runs(str text)
cpdef Py_ssize_t _wide_mark(Py_UCS4 ch)
