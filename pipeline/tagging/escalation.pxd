import cython

# Augmenting declarations for the Cython build (the .py stays plain Python, see setup.py).
# The per-sentence and per-signal helpers are cpdef, so that the module's own calls are
# direct C calls, with C integers for offsets (always small ints: positions in a text).

@cython.locals(start=Py_ssize_t, pos=Py_ssize_t, p=Py_ssize_t, q=Py_ssize_t, n=Py_ssize_t,
               end=Py_ssize_t)
cpdef tuple _sentence_span(str text, Py_ssize_t offset, Py_ssize_t lo=*, str stops=*)

cdef str _PLAIN_TABLE

cpdef Py_ssize_t _alnum_index(Py_UCS4 ch) noexcept

@cython.locals(i=Py_ssize_t, j=Py_ssize_t)
cpdef bint _plain_end(str text, Py_ssize_t p) except -1

@cython.locals(text=str, n=Py_ssize_t)
cpdef Py_ssize_t _stop_end(source, Py_ssize_t p) except? -2

cpdef Py_ssize_t _is_boundary(str text, Py_ssize_t p) except? -2

@cython.locals(end3=str, window=str, word=str)
cpdef bint _abbreviation_before(str text, Py_ssize_t p) except -1

@cython.locals(a_start=Py_ssize_t, a_end=Py_ssize_t, gap=Py_ssize_t, before_gap=Py_ssize_t,
               after_gap=Py_ssize_t, span=tuple, first=str, second=str, code=str,
               before_code=str, after_code=str, agent=str)
cpdef list _actors(str text, Py_ssize_t start, Py_ssize_t end, list spans)

@cython.locals(text=str, words=str)
cpdef bint _agent_follows(source, Py_ssize_t end, Py_ssize_t gap) except -1

cpdef list _ordered_actors(text, Py_ssize_t start, Py_ssize_t end, spans)

@cython.locals(country=dict, ev=dict, entity=dict, m=dict, found=list, pieces=list,
               prev=Py_ssize_t, s0=Py_ssize_t, s1=Py_ssize_t, owner=str, hi=Py_ssize_t,
               pos=Py_ssize_t, k=Py_ssize_t)
cpdef list _sentence_mentions(countries, entities, str field, list sentences)

@cython.locals(end_idx=Py_ssize_t, space=Py_ssize_t, head_end=Py_ssize_t, row=tuple,
               key_len=Py_ssize_t)
cpdef list _resolve(hits, str padded, str text)

# A sentence's cues: struct fields.
cdef class _Cues:
    cdef public list cues, breaks

# The tagger as an extension type: its attributes are struct fields (no instance dict
# look-ups), and the per-field and per-sentence methods are C calls with C int offsets.
cdef class EscalationTagger:
    cdef public object data_version
    cdef public object _k, _decay, _decays, _group, _factors, _not_asserted, _rank
    cdef public object _categories, _cue_groups, _adjacent, _adjacent_words, _adjacent_last
    cdef public object _adjacent_end, _adjacent_end2, _break_punct, _ascii_keys, _automaton
    cdef public object _values, _matcher, _value_rows, _cue_automaton, _cue_values
    cdef public object _cue_matcher, _category_rows, _weights, _break_chars, _cue_rows
    cdef public object _cue_group_rows
    cdef public object _signal_templates

    @cython.locals(text=str, padded=str, i=Py_ssize_t, end=Py_ssize_t, end_idx=Py_ssize_t,
                   space=Py_ssize_t, head_end=Py_ssize_t, ref=Py_ssize_t,
                   start=Py_ssize_t, neg_end=Py_ssize_t, last_end=Py_ssize_t, s0=Py_ssize_t,
                   s1=Py_ssize_t, before=Py_ssize_t, t_words=Py_ssize_t, phrases=list, contexts=list, signal=dict, cues=_Cues,
                   sentence_cues=list, sentences=list, span=tuple, mentions=list, s_index=Py_ssize_t, templates=list,
                   template=dict, buf=cython.p_uchar, adjacent=bint, pairs=bytes)
    cpdef _tag_field(self, field, field_text, countries, entities, list out, dict by_group)

    cpdef _Cues _sentence_cues(self, folded, str padded, str text, Py_ssize_t s0, Py_ssize_t s1)

    @cython.locals(h=Py_ssize_t, n_hits=Py_ssize_t, s0=Py_ssize_t, s1=Py_ssize_t,
                   lo=Py_ssize_t, hi=Py_ssize_t, start=Py_ssize_t, end=Py_ssize_t,
                   idx=Py_ssize_t, out=list, hits=list, own=list, values=list, joined=bytes)
    cpdef list _all_cues(self, folded, str padded, str text, list sentences)

    @cython.locals(text=str, padded=str, n_words=Py_ssize_t, lo=Py_ssize_t, hi=Py_ssize_t,
                   c_start=Py_ssize_t, c_end=Py_ssize_t, ref=Py_ssize_t, k=Py_ssize_t,
                   window=Py_ssize_t)
    cpdef str _modality(self, source, padded_source, Py_ssize_t start, Py_ssize_t end,
                        Py_ssize_t s0, _Cues cues)

    # C doubles: the same IEEE sums and products as Python floats (no FMA on this target).
    @cython.locals(total=double, group=double, weight=double, decay=double, n=Py_ssize_t,
                   k=Py_ssize_t, k_scale=double, saturation=double, weights=list,
                   decays=tuple)
    cpdef _score(self, dict by_group, Py_ssize_t n_signals)

    @cython.locals(i=Py_ssize_t)
    cpdef bint _broken(self, str text, Py_ssize_t lo, Py_ssize_t hi, list breaks) except -1

@cython.locals(start=Py_ssize_t, end=Py_ssize_t, last_end=Py_ssize_t, cues=_Cues)
cpdef _Cues _cues_of(list found)

@cython.locals(i=Py_ssize_t, start=Py_ssize_t, end=Py_ssize_t, next_start=Py_ssize_t,
               next_end=Py_ssize_t)
cpdef bint _start_longest_ordered(list found) except -1

@cython.locals(pos=Py_ssize_t)
cpdef bint _voided(list contexts, tuple unless, Py_ssize_t s0, Py_ssize_t s1) except -1

# The signal template (a C-level dict global: its copy() is a direct PyDict_Copy).
cdef dict _SIGNAL

@cython.locals(i=Py_ssize_t, values=tuple)
cpdef str level_for(score, thresholds=*)

@cython.locals(scaled=double, frac=double)
cpdef double _round1(double value) except? -1.0

# A C constant.
cdef Py_ssize_t _HEAD_LEN

@cython.locals(buf=cython.p_uchar, n=Py_ssize_t, pos=Py_ssize_t, _=Py_ssize_t)
cpdef bint _tail_may_match(bytes folded, Py_ssize_t space, Py_ssize_t words, bytes heads,
                           tuple prefixes=*) except -1

@cython.locals(i=Py_ssize_t)
cpdef bint _holds_any(str text, Py_ssize_t lo, Py_ssize_t hi, str chars) except -1


cpdef bytes _marked(str text)

cpdef bytes _fold_marked(str text)

cpdef Py_ssize_t _wide_byte(Py_ssize_t code) except -1
