"""How the model layer attributes quotations the way news writes them, and which quoted strings
it does not take for anyone's words. Each text is a made-up sentence in the shape of a case
real news articles showed (none is copied from them)."""

from __future__ import annotations

import pytest
from spacy.language import Language
from spacy.tokens import Doc
from spacy.vocab import Vocab

from summit_corpus.build.model import PreAnnotations, annotate_doc
from summit_corpus.core.scheme import Scheme


def _annotate(nlp: Language, scheme: Scheme, text: str) -> PreAnnotations:
    return annotate_doc("doc", text, nlp(text), scheme)


def _quotes(pre: PreAnnotations) -> list[str]:
    return [s["text"] for s in pre.spans if s["label"] == "QUOTE"]


def _speakers(pre: PreAnnotations) -> dict[str, str]:
    spans = {s["span_id"]: s["text"] for s in pre.spans}
    return {
        spans[r["head_span_id"]]: spans[r["tail_span_id"]]
        for r in pre.relations
        if r["label"] == "speaker"
    }


class TestSpeakers:
    @pytest.mark.parametrize(
        ("text", "quote", "speaker"),
        [
            pytest.param(
                "“We are all here because he promised them free stuff,” Bennett shot back.",
                "We are all here because he promised them free stuff,",
                "Bennett",
                id="any-verb-the-quote-is-the-complement-of",
            ),
            pytest.param(
                "Rep. Dana Ruiz said Corbin called on members to be “closely coordinated.”",
                "closely coordinated.",
                "Dana Ruiz",
                id="a-reported-report-is-the-outer-speakers",
            ),
            pytest.param(
                "In an interview, Mr. Ruiz said Mr. Corbin had told the donors that he would "
                "not allow “any daylight” between the two parties.",
                "any daylight",
                "Ruiz",
                id="a-reported-report-deeper-in-the-clause",
            ),
            pytest.param(
                "Corbin cannot say that “from his own desk,” Maddox added.",
                "from his own desk,",
                "Maddox",
                id="a-speech-verb-after-the-opening-mark-is-no-outer-report",
            ),
            pytest.param(
                "At the rally, Dana Ruiz said Corbin was right to urge the voters “to stand up "
                "and be counted.”",
                "to stand up and be counted.",
                "Dana Ruiz",
                id="a-controlled-verb-in-a-report-is-the-outer-speakers",
            ),
            pytest.param(
                "Senator Dana Ruiz, also campaigning in Ohio, said Corbin is responsible for the "
                "mess and accused him of “stirring up anger that is very dangerous.”",
                "stirring up anger that is very dangerous.",
                "Dana Ruiz",
                id="a-conjunct-sharing-its-subject-in-a-report-is-the-outer-speakers",
            ),
            pytest.param(
                "The Herald, Maddox said, called the plan “deeply flawed.”",
                "deeply flawed.",
                "Maddox",
                id="a-report-set-in-the-clause-is-the-outer-speakers",
            ),
            pytest.param(
                "Corbin mocked the plan, while Maddox said that the “costs are far too high” for "
                "the county.",
                "costs are far too high",
                "Maddox",
                id="an-adverbial-clause-with-its-own-subject-stops-the-outer-speaker",
            ),
            pytest.param(
                "“A very fine reporter, a very fine reporter this man,” Maddox, the mayor of "
                "Lakeview and a candidate for governor after a long career, said when Corbin "
                "asked him a question.",
                "A very fine reporter, a very fine reporter this man,",
                "Maddox",
                id="the-name-after-the-closing-mark-speaks-past-its-apposition",
            ),
            pytest.param(
                "On Friday, Corbin was asked by host Dana Maddox, “Will you run again?”",
                "Will you run again?",
                "Dana Maddox",
                id="a-passive-speech-verbs-agent-speaks",
            ),
            pytest.param(
                "“Thanks for welcoming these refugees,” said master of ceremonies Asab Tabchi, "
                "a Syrian engineer.",
                "Thanks for welcoming these refugees,",
                "Asab Tabchi",
                id="inverted-subject-never-inside-the-quote",
            ),
            pytest.param(
                "6:50 p.m.\nWith her husband, former President Bill Clinton, standing by her "
                "side, Hillary Clinton has told her supporters that “we are in this together.”",
                "we are in this together.",
                "Hillary Clinton",
                id="subject-on-the-verbs-line",
            ),
            pytest.param(
                "Trump, in Kentucky, said Tuesday that Marco Rubio was “a total lightweight.”",
                "a total lightweight.",
                "Trump",
                id="the-person-before-a-verb-the-parser-left-without-subject",
            ),
            pytest.param(
                "Hal Brenner is keeping up his attacks on his rivals in the hours before the "
                "first Super Tuesday polls\nBrenner, in Kentucky, said Tuesday that Joan Pryor "
                "was “a total lightweight” while Mark Hale is “a basket case.”",
                "a total lightweight",
                "Brenner",
                id="a-date-the-parser-took-for-the-subject",
            ),
            pytest.param(
                "Roy Baxter On How The Media Makes Farmers Feel “Forgotten.”",
                "Forgotten.",
                "Roy Baxter",
                id="no-verb-of-saying-the-first-person-before-the-quote",
            ),
            pytest.param(
                "Later, Dana Fisk claimed that farmers don’t face hardship and that President "
                "Tom Mendez is to blame for Americans believing that.\n"
                '"He keeps spreading this fiction about rural poverty," he said.',
                "He keeps spreading this fiction about rural poverty,",
                "Dana Fisk",
                id="a-participle-on-a-name-is-that-names-not-a-source-of-the-clause",
            ),
            pytest.param(
                "“Boeing and other multinationals pay zero taxes.”\n- Sanders.\nIt is complex.",
                "Boeing and other multinationals pay zero taxes.",
                "Sanders",
                id="signature-line",
            ),
            pytest.param(
                "Matthews: Well, speculation is bad.\n"
                "Lopez: Well, no one is like, ‘My 401(k) is speculation.’",
                "My 401(k) is speculation.",
                "Lopez",
                id="transcript-name-and-colon",
            ),
            pytest.param(
                "Donald Trump issued the following statement:\n"
                "“Our prayers are with all those affected by the horrible attacks.”",
                "Our prayers are with all those affected by the horrible attacks.",
                "Donald Trump",
                id="paragraph-ending-in-a-colon",
            ),
            pytest.param(
                "Bernie Sanders said on Monday that the plan would fail.\n"
                "“It will not pay for itself, and everyone knows it.”",
                "It will not pay for itself, and everyone knows it.",
                "Bernie Sanders",
                id="quotation-paragraph-after-reported-speech",
            ),
            pytest.param(
                "Cruz, with unconcealed delight, chided Trump for raising questions about the "
                "Constitution's “natural born” standard.",
                "natural born",
                "Cruz",
                id="main-clause-subject-not-the-nearest-name",
            ),
            pytest.param(
                "“Oh gosh, those are some very small towns,” Woolson said. They also lie in a "
                "media market dead zone. “That’s a tough area.”",
                "That’s a tough area.",
                "Woolson",
                id="further-on-in-the-attributed-paragraph",
            ),
            pytest.param(
                "“They are not terminable at will,” spokesman Ron Lieberman told the Journal "
                "in July, after the mayor stated an interest in ending business with Trump. "
                "“These contracts are fully binding.”",
                "These contracts are fully binding.",
                "Ron Lieberman",
                id="right-after-an-attributed-quote-before-another-verb-nearby",
            ),
            pytest.param(
                "“The people running just do not understand the military,” said Army Capt. "
                "Lucas Ferreira, who said he would not vote for either of them.",
                "The people running just do not understand the military,",
                "Lucas Ferreira",
                id="a-rank-ner-takes-for-an-org-is-not-the-speaker",
            ),
            pytest.param(
                "What economists say.\nThe plan has its critics.\n“I worry that the plan will "
                "raise prices for every family in the state.”\nMaria Lopez, Institute for "
                "Fair Wages.",
                "I worry that the plan will raise prices for every family in the state.",
                "Maria Lopez",
                id="a-credit-line-after-the-quotation",
            ),
            pytest.param(
                "In response to the loss of life in the flood, Republican nominee Dale Harmon "
                "issued the following statement:\n“Our prayers are with all those affected by "
                "the terrible storm. This cannot go on.”",
                "Our prayers are with all those affected by the terrible storm. This cannot go on.",
                "Dale Harmon",
                id="a-colon-paragraph-the-parser-runs-on-into-the-quotation",
            ),
            pytest.param(
                "Trade talks.\n“We cannot afford another year like this one,” said Pentagon "
                "spokesman Navy Capt. Rob Tellman, who was asked about the plan.",
                "We cannot afford another year like this one,",
                "Rob Tellman",
                id="a-rank-ner-takes-for-an-org-with-the-name-after-it",
            ),
            pytest.param(
                "The convention.\n“He did it in ’08 and he will do it again,” said former Nevada "
                "Gov. and Democratic Governors Association Chairman Ed Maroni.",
                "He did it in ’08 and he will do it again,",
                "Ed Maroni",
                id="a-title-the-parser-takes-for-the-subject-not-its-place",
            ),
            pytest.param(
                "The convention.\n“He did it before and he will do it again,” said former Ohio "
                "Gov. and party chairman Tobiah Vunderlake.",
                "He did it before and he will do it again,",
                "Tobiah Vunderlake",
                id="a-title-is-no-name-of-its-own",
            ),
            pytest.param(
                "Tax fight.\nSenator Dale Harmon said he expected that Americans will say “no” "
                "to the new tax on fuel.",
                "no",
                "Dale Harmon",
                id="a-plural-nationality-is-no-persons-name",
            ),
            pytest.param(
                "The debate.\nThe two candidates clashed on taxes.\nJohn Harmon: “Our plan cuts "
                "taxes for every family.” Maria Lopez: “Your plan cuts taxes for the rich.”",
                "Your plan cuts taxes for the rich.",
                "Maria Lopez",
                id="a-name-and-colon-right-before-the-quote-after-an-attributed-one",
            ),
            pytest.param(
                "Columnist George Will had harsh words for the field.\n“The campaign has "
                "become a circus,” Will wrote.",
                "The campaign has become a circus,",
                "Will",
                id="a-surname-the-tagger-takes-for-a-verb-before-the-speech-verb",
            ),
            pytest.param(
                "Bridge vote.\nStated Dana Cole:\n“We will rebuild the bridge before winter.”",
                "We will rebuild the bridge before winter.",
                "Dana Cole",
                id="a-speech-verb-and-name-before-a-colon-name-the-speaker",
            ),
            pytest.param(
                "The plan.\n“We will rebuild the bridge before winter.”\n-Maria Lopez, a nurse who "
                "works with Luis Ruiz.",
                "We will rebuild the bridge before winter.",
                "-Maria Lopez",  # the tokenizer keeps the dash in the name's token
                id="a-credit-line-with-the-dash-glued-to-the-name",
            ),
            pytest.param(
                "Bridge vote.\n“We will win,” said Dana Cole, a Democrat who flew with the "
                "family of Luis Ruiz. The crowd cheered. “We will not stop until the bridge is "
                "built.”",
                "We will not stop until the bridge is built.",
                "Dana Cole",
                id="a-name-in-the-speakers-own-phrase-does-not-break-the-going-on-quotation",
            ),
            pytest.param(
                "Harvest fair.\n“We will win,” said Dana Cole, 52, a farmer from Ashby. A widow "
                "who moved here in 2004, she voted for Luis Ruiz in the spring. “Nobody in the "
                "capital listens to us.”",
                "Nobody in the capital listens to us.",
                "Dana Cole",
                id="a-later-unattributed-quote-of-the-paragraph-is-its-speakers-not-a-name-between",
            ),
            pytest.param(
                "Dana Cole Thanks Ashby Mayor Luis Ruiz: ‘A Friend To Every Farmer.’\nThe "
                "senator spoke at the harvest fair on Monday.",
                "A Friend To Every Farmer.",
                "Dana Cole",
                id="a-headline-name-verb-name-and-colon-is-its-opening-names",
            ),
        ],
    )
    def test_speaker_of_a_news_quotation(
        self, nlp: Language, scheme: Scheme, text: str, quote: str, speaker: str
    ) -> None:
        """Each quotation gets the speaker a reader would name."""
        pre = _annotate(nlp, scheme, text)
        assert _speakers(pre).get(quote) == speaker


class TestParserSlips:
    def test_a_name_the_parser_hangs_on_the_verb_as_a_compound_speaks(self, scheme: Scheme):
        """ "“...,” Alvarez notes.": the parser may read the name and the verb as one noun
        ("Alvarez notes") and hang the name on the verb as its compound, with NER missing the
        name. The name is still the speaker, not the person named in the sentence before."""
        words = ["Mr.", "Diaz", "spoke", "first", ".", '"', "We", "saw", "the", "plan", ","]
        words += ['"', "Alvarez", "notes", "."]
        spaces = [True, True, True, False, True, False, True, True, True, False, False]
        spaces += [True, True, False, False]
        heads = [1, 2, 2, 2, 2, 13, 7, 13, 9, 7, 13, 13, 13, 13, 13]
        deps = ["compound", "nsubj", "ROOT", "advmod", "punct", "punct", "nsubj", "ccomp"]
        deps += ["det", "dobj", "punct", "punct", "compound", "ROOT", "punct"]
        pos = ["PROPN", "PROPN", "VERB", "ADV", "PUNCT", "PUNCT", "PRON", "VERB", "DET"]
        pos += ["NOUN", "PUNCT", "PUNCT", "PROPN", "VERB", "PUNCT"]
        lemmas = ["Mr.", "Diaz", "speak", "first", ".", '"', "we", "see", "the", "plan", ","]
        lemmas += ['"', "Alvarez", "note", "."]
        doc = Doc(
            Vocab(),
            words=words,
            spaces=spaces,
            heads=heads,
            deps=deps,
            pos=pos,
            lemmas=lemmas,
            ents=["O", "B-PERSON", *["O"] * 13],
        )
        pre = annotate_doc("doc", doc.text, doc, scheme)
        assert _speakers(pre) == {"We saw the plan,": "Alvarez"}

    def test_the_name_and_verb_right_after_the_closing_mark_speak(self, scheme: Scheme):
        """ "“...,” Diaz said after Ruiz said it.": the parser may hang the quotation on the
        later clause's speech verb; the name and speech verb right after the closing mark of
        a quotation that ends in a comma attribute it all the same."""
        words = ['"', "We", "never", "said", "it", ",", '"', "Diaz", "said", "after", "Ruiz"]
        words += ["said", "it", "."]
        spaces = [False, True, True, True, False, False, True, True, True, True, True]
        spaces += [True, False, False]
        heads = [3, 3, 3, 11, 3, 3, 3, 8, 8, 11, 11, 8, 11, 8]
        deps = ["punct", "nsubj", "neg", "ccomp", "dobj", "punct", "punct", "nsubj", "ROOT"]
        deps += ["mark", "nsubj", "advcl", "dobj", "punct"]
        pos = ["PUNCT", "PRON", "ADV", "VERB", "PRON", "PUNCT", "PUNCT", "PROPN", "VERB"]
        pos += ["SCONJ", "PROPN", "VERB", "PRON", "PUNCT"]
        lemmas = ['"', "we", "never", "say", "it", ",", '"', "Diaz", "say", "after", "Ruiz"]
        lemmas += ["say", "it", "."]
        ents = ["O"] * 7 + ["B-PERSON", "O", "O", "B-PERSON", "O", "O", "O"]
        doc = Doc(
            Vocab(),
            words=words,
            spaces=spaces,
            heads=heads,
            deps=deps,
            pos=pos,
            lemmas=lemmas,
            ents=ents,
        )
        pre = annotate_doc("doc", doc.text, doc, scheme)
        assert _speakers(pre) == {"We never said it,": "Diaz"}

    def test_a_name_ner_cut_at_a_no_break_space_is_the_whole_name(self, scheme: Scheme):
        """ "“...,” said Stu\\xa0Burke.": NER may end the name at the no-break space; the
        speaker is the whole name, a PERSON span of the rule."""
        words = ['"', "We", "won", ",", '"', "said", "Stu", "\xa0", "Burke", "."]
        spaces = [False, True, False, False, True, True, False, False, False, False]
        heads = [2, 2, 5, 2, 5, 5, 5, 6, 6, 5]
        deps = ["punct", "nsubj", "ccomp", "punct", "punct", "ROOT", "nsubj", "dep", "appos"]
        deps += ["punct"]
        pos = ["PUNCT", "PRON", "VERB", "PUNCT", "PUNCT", "VERB", "PROPN", "SPACE", "PROPN"]
        pos += ["PUNCT"]
        lemmas = ['"', "we", "win", ",", '"', "say", "Stu", "\xa0", "Burke", "."]
        ents = ["O"] * 6 + ["B-PERSON", "O", "O", "O"]
        doc = Doc(
            Vocab(),
            words=words,
            spaces=spaces,
            heads=heads,
            deps=deps,
            pos=pos,
            lemmas=lemmas,
            ents=ents,
        )
        pre = annotate_doc("doc", doc.text, doc, scheme)
        assert _speakers(pre) == {"We won,": "Stu\xa0Burke"}
        person = [s for s in pre.spans if s["label"] == "PERSON"]
        assert [(s["text"], s["source"]) for s in person] == [
            ("Stu\xa0Burke", scheme.rules.speaker.name)
        ]

    def test_a_name_after_the_verb_the_parser_hangs_elsewhere_speaks(self, scheme: Scheme):
        """ "“...,” said ranking Democrat Elena Marz.": the parser may hang the name after
        the verb on another word (a participle) and NER may miss it, taking only the title
        before it (a NORP). The name right after the verb is the speaker, without the
        title."""
        words = ['"', "We", "will", "not", "wait", ",", '"', "said", "ranking", "Democrat"]
        words += ["Elena", "Marz", "."]
        spaces = [False, True, True, True, False, False, True, True, True, True, True]
        spaces += [False, False]
        heads = [7, 4, 4, 4, 7, 4, 7, 7, 7, 11, 11, 8, 7]
        deps = ["punct", "nsubj", "aux", "neg", "ccomp", "punct", "punct", "ROOT", "ccomp"]
        deps += ["compound", "compound", "dobj", "punct"]
        pos = ["PUNCT", "PRON", "AUX", "PART", "VERB", "PUNCT", "PUNCT", "VERB", "VERB"]
        pos += ["PROPN", "PROPN", "PROPN", "PUNCT"]
        lemmas = ['"', "we", "will", "not", "wait", ",", '"', "say", "rank", "Democrat"]
        lemmas += ["Elena", "Marz", "."]
        doc = Doc(
            Vocab(),
            words=words,
            spaces=spaces,
            heads=heads,
            deps=deps,
            pos=pos,
            lemmas=lemmas,
            ents=[*["O"] * 9, "B-NORP", "O", "O", "O"],
        )
        pre = annotate_doc("doc", doc.text, doc, scheme)
        assert _speakers(pre) == {"We will not wait,": "Elena Marz"}

    @staticmethod
    def _second_mention(after: list[str], heads: list[int], deps: list[str], pos: list[str]):
        """ "Bill Skelly ran it.\nJo Brand came later. “We had data,” ...": a person named in
        the paragraph before, someone else in the quote's paragraph, and `after` the
        closing mark (the parse of the tokens from 'had' on given as heads, deps, pos)."""
        words = ["Bill", "Skelly", "ran", "it", ".", "\n", "Jo", "Brand", "came", "later"]
        words += [".", "“", "We", "had", "data", ",", "”", *after]
        spaces = [True, True, True, False, False, False, True, True, True, False, True, False]
        spaces += [True, True, False, False, True, *[True] * (len(after) - 2), False, False]
        all_heads = [1, 2, 2, 2, 2, 4, 7, 8, 8, 8, 8, 13, 13, *heads]
        all_deps = ["compound", "nsubj", "ROOT", "dobj", "punct", "dep", "compound", "nsubj"]
        all_deps += ["ROOT", "advmod", "punct", "punct", "nsubj", *deps]
        all_pos = ["PROPN", "PROPN", "VERB", "PRON", "PUNCT", "SPACE", "PROPN", "PROPN", "VERB"]
        all_pos += ["ADV", "PUNCT", "PUNCT", "PRON", *pos]
        return words, spaces, all_heads, all_deps, all_pos

    @pytest.mark.parametrize(
        ("after", "heads", "deps", "pos", "ent"),
        [
            # "said Skelly.": the tagger takes the surname for an adverb, NER misses it
            (
                ["said", "Skelly", "."],
                [17, 13, 17, 17, 17, 17, 17],
                ["ccomp", "dobj", "punct", "punct", "ROOT", "advmod", "punct"],
                ["VERB", "NOUN", "PUNCT", "PUNCT", "VERB", "ADV", "PUNCT"],
                "O",
            ),
            # "Skelly said.": NER takes the surname for an ORG
            (
                ["Skelly", "said", "."],
                [18, 13, 18, 18, 18, 18, 18],
                ["ccomp", "dobj", "punct", "punct", "nsubj", "ROOT", "punct"],
                ["VERB", "NOUN", "PUNCT", "PUNCT", "PROPN", "VERB", "PUNCT"],
                "ORG",
            ),
        ],
    )
    def test_a_persons_surname_speaks_whatever_the_tagger_made_of_it(
        self,
        scheme: Scheme,
        after: list[str],
        heads: list[int],
        deps: list[str],
        pos: list[str],
        ent: str,
    ) -> None:
        """The last word of a person named before is that person again, as a PERSON span,
        when it is the speech verb's subject, though the tagger took it for an adverb or NER
        for an ORG; not the person named nearest the quote."""
        words, spaces, all_heads, all_deps, all_pos = self._second_mention(after, heads, deps, pos)
        surname = 17 + after.index("Skelly")
        ents = ["B-PERSON", "I-PERSON", *["O"] * 4, "B-PERSON", "I-PERSON", *["O"] * 12]
        if ent != "O":
            ents[surname] = f"B-{ent}"
        lemmas = [w.lower() if w != "said" else "say" for w in words]
        doc = Doc(
            Vocab(),
            words=words,
            spaces=spaces,
            heads=all_heads,
            deps=all_deps,
            pos=all_pos,
            lemmas=lemmas,
            ents=ents,
        )
        pre = annotate_doc("doc", doc.text, doc, scheme)
        spans = {s["span_id"]: s for s in pre.spans}
        (speaker,) = [spans[r["tail_span_id"]] for r in pre.relations if r["label"] == "speaker"]
        assert (speaker["text"], speaker["label"], speaker["start"]) == (
            "Skelly",
            "PERSON",
            doc[surname].idx,
        )


class TestNobodysWords:
    @pytest.mark.parametrize(
        "text",
        [
            # a scare quote: one or two words, no speech verb, no speaker
            "Debate night.\nBoth parties joined the “undercard” debate on Tuesday.",
            # a slogan in title case that nothing attributes
            "Rally report.\nProtesters near the stage wore “Hillary for Prison” shirts.",
            # a show's title
            "Television.\nThe network will bring back “Prison Break” in the spring.",
        ],
    )
    def test_labels_and_titles_are_no_quotes(
        self, nlp: Language, scheme: Scheme, text: str
    ) -> None:
        """A label, scare quote or title nothing attributes to anyone is not a QUOTE."""
        assert _quotes(_annotate(nlp, scheme, text)) == []

    @pytest.mark.parametrize(
        ("text", "quote"),
        [
            # a chant after "of": someone's words, not a title
            (
                "Rally report.\nThe crowd broke into chants of “USA! USA!” as the senator arrived.",
                "USA! USA!",
            ),
            # what a sign reads: someone's words, not a label
            (
                "Rally report.\nA young voter held up a sign that read “Jobs Now” near the stage.",
                "Jobs Now",
            ),
        ],
    )
    def test_chants_and_signs_are_quotes(
        self, nlp: Language, scheme: Scheme, text: str, quote: str
    ) -> None:
        """What a crowd chants or a sign reads is a QUOTE, neither a title nor a label."""
        assert quote in _quotes(_annotate(nlp, scheme, text))

    @pytest.mark.parametrize(
        ("text", "quote"),
        [
            # the same short words with a speech verb are someone's words
            ("Debate night.\nTrump called the debate “a disaster.”", "a disaster."),
            # a headline quotes in title case
            (
                "Trump Makes Announcement Against ‘Crooked Hillary’\nMore follows.",
                "Crooked Hillary",
            ),
            # a long quotation with no speaker in the text is still a quotation
            (
                "Notes.\n“We will build it, and we will finish it before the winter comes.”",
                "We will build it, and we will finish it before the winter comes.",
            ),
        ],
    )
    def test_attributed_or_long_quotations_stay(
        self, nlp: Language, scheme: Scheme, text: str, quote: str
    ) -> None:
        """What is attributed, in a headline, or more than a label stays a QUOTE."""
        assert quote in _quotes(_annotate(nlp, scheme, text))

    @pytest.mark.parametrize(
        ("text", "quote"),
        [
            # the writer speaks: "I said"
            ("Court notes.\nThe clerk looked up. “Okay,” I said, and sat down.", "Okay,"),
            # a share of those polled says it
            (
                "Poll.\nMost voters in the county said they were “very worried” about jobs.",
                "very worried",
            ),
        ],
    )
    def test_words_a_speech_verb_gives_to_no_one_named_stay(
        self, nlp: Language, scheme: Scheme, text: str, quote: str
    ) -> None:
        """A short quotation a speech verb attributes to someone unnamed ("I", "most voters")
        is someone's words, no label, though no relation can point to its speaker."""
        pre = _annotate(nlp, scheme, text)
        assert quote in _quotes(pre)
        assert quote not in _speakers(pre)


class TestHeadlines:
    @pytest.mark.parametrize(
        ("text", "quote", "speaker"),
        [
            pytest.param(
                "DNC issues ‘deep and sincere apology’ to Dana Maddox.\n"
                "The committee wrote to the senator on Monday.",
                "deep and sincere apology",
                "DNC",
                id="the-organisation-it-opens-with-not-the-name-after-the-quote",
            ),
            pytest.param(
                "Pruitt 'glad to finish' fight with Corbin.\n"
                "Senator Ed Pruitt spoke in Ohio on Monday.",
                "glad to finish",
                "Pruitt",
                id="a-surname-ner-missed-is-the-person-the-story-names",
            ),
            pytest.param(
                "The Latest: Rivers declares ‘revolution,’ ignores losses.\n"
                "Senator Ann Rivers spoke in Ohio on Monday.",
                "revolution,",
                "Rivers",
                id="a-speech-verbs-subject-the-story-names-later",
            ),
        ],
    )
    def test_a_headline_quote_is_its_opening_names(
        self, nlp: Language, scheme: Scheme, text: str, quote: str, speaker: str
    ) -> None:
        """A quotation in the headline is the words of the person the headline opens with,
        not of the name nearest it; a surname NER missed there is the person the story names."""
        assert _speakers(_annotate(nlp, scheme, text))[quote] == speaker


class TestParagraphsOfQuotation:
    def test_the_subject_of_the_paragraph_before_speaks(
        self, nlp: Language, scheme: Scheme
    ) -> None:
        """A paragraph that is all quotation, after one about a named person with no verb of
        saying, is that person's words: the subject of its last main clause."""
        text = (
            "Budget talks.\nSenator Dana Maddox is upbeat about the plan's chances in the "
            "spring.\n“Not only can it pass in the spring, it is the one bill both parties "
            "can sign.”"
        )
        quote = "Not only can it pass in the spring, it is the one bill both parties can sign."
        assert _speakers(_annotate(nlp, scheme, text))[quote] == "Dana Maddox"


class TestQuotationsOverParagraphs:
    @pytest.mark.parametrize(
        ("text", "quote"),
        [
            pytest.param(
                "“Other campaigns,” Blackwell added, “have spent their money on ads that do "
                "little\nin the early states.”",
                "have spent their money on ads that do little",
                id="a-paragraph-broken-inside-the-quotation",
            ),
            pytest.param(
                "Market notes.\n“Prices will rise before the vote and fall after it\n"
                "Jane Doe, Acme Research.",
                "Prices will rise before the vote and fall after it",
                id="a-signature-line-after-the-open-quotation",
            ),
            pytest.param(
                "Hart noted that “several of the delegates picked from the senator's “short "
                "list” are still undecided.",
                "several of the delegates picked from the senator's",
                id="a-quotation-that-runs-into-a-new-opening-mark",
            ),
            pytest.param(
                'Sanders asked, "Why should they be immune? If a buyer walks in and says, '
                '"I want ten thousand rounds," you might worry."',
                "I want ten thousand rounds,",
                id="a-missing-closing-mark-ends-at-the-next-opening-straight-mark",
            ),
        ],
    )
    def test_an_open_quotation_runs_to_the_paragraph_end(
        self, nlp: Language, scheme: Scheme, text: str, quote: str
    ) -> None:
        """A quotation no mark closes in its paragraph is a QUOTE to the paragraph's end (or
        to the new opening mark it runs into), whatever the next paragraph does."""
        assert quote in _quotes(_annotate(nlp, scheme, text))


class TestTitlesAndNames:
    """`rule/quote.v7`: the shapes news gives a title in, and names the text gives."""

    @pytest.mark.parametrize(
        "text",
        [
            pytest.param(
                "Weekend reading.\nThe pick of the week: “Snow falls early on the northern "
                "lakes,” by Jane Doe.",
                id="a-work-cited-with-its-author",
            ),
            pytest.param(
                "Arrivals.\nThe “Night Shift” star Dana Cole arrived late on Tuesday.",
                id="a-title-before-the-role-of-a-person-in-it",
            ),
            pytest.param(
                "Schedules.\nNext month the network will air “Nights at County General,” a drama "
                "about nurses.",
                id="a-title-before-what-it-is",
            ),
            pytest.param(
                "Early years.\nAccording to “The Long Road Home,” the senator grew up on a farm.",
                id="a-title-after-according-to",
            ),
            pytest.param(
                "Books.\nHer memoir “Fields: A Farm Girl at the Bank” sold well in its first week.",
                id="a-title-with-a-subtitle",
            ),
            pytest.param(
                "Books.\nThe story is told in Mark Dorn's book “Backfire: The Long Fight for the "
                "Soul of the Family Firm,” which came out in May.",
                id="a-book-with-a-long-subtitle",
            ),
            pytest.param(
                'Campaign news.\n<tweet tweet-author="@danacole" tweet-date="May 2, 2016\n">'
                "Great crowd in Toledo tonight. Thank you all for coming!\n",
                id="a-mark-that-ends-a-markup-attribute",
            ),
            pytest.param(
                "Glossary.\nThe memo was marked for internal use. “Tier two access” is the "
                "lowest level of clearance.",
                id="words-a-sentence-defines",
            ),
        ],
    )
    def test_titles_are_no_quotes(self, nlp: Language, scheme: Scheme, text: str) -> None:
        """A title in any of these shapes is nobody's words."""
        assert _quotes(_annotate(nlp, scheme, text)) == []

    def test_a_show_told_is_no_quote(self, nlp: Language, scheme: Scheme) -> None:
        """The show a speaker talks to is where the words went, not words."""
        text = "Interviews.\n“We will win this state,” Smith told “Morning Desk.”"
        assert _quotes(_annotate(nlp, scheme, text)) == ["We will win this state,"]

    def test_titles_listed_with_a_title_are_titles(self, nlp: Language, scheme: Scheme) -> None:
        """When one of a list of title-case quotations is a title, all of them are."""
        text = (
            "Television.\nFans of NBC's “Harbor Lights,” “Dawn Patrol” and “Dusk” will see "
            "new episodes in March."
        )
        assert _quotes(_annotate(nlp, scheme, text)) == []

    @pytest.mark.parametrize(
        ("text", "quote"),
        [
            pytest.param(
                "Advertising.\nThe campaign released an ad titled “Breakfast Time” on Monday.",
                "Breakfast Time",
                id="titled",
            ),
            pytest.param(
                "Budget.\nThe plan, which some dubbed “the squeeze,” passed on Tuesday.",
                "the squeeze,",
                id="dubbed",
            ),
            pytest.param(
                "Neighbourhoods.\nThe district is known as “the Hill” to everyone here.",
                "the Hill",
                id="known-as",
            ),
        ],
    )
    def test_a_name_the_text_gives_is_a_quote(
        self, nlp: Language, scheme: Scheme, text: str, quote: str
    ) -> None:
        """A name given to something ("titled", "dubbed", "known as") is someone's naming:
        a QUOTE, neither a title nor a label."""
        assert _quotes(_annotate(nlp, scheme, text)) == [quote]

    def test_a_sentence_ends_a_list(self, nlp: Language, scheme: Scheme) -> None:
        """Quotations in two sentences are no list: a title in the second does not make the
        first one a title."""
        text = (
            "Rally.\nThe senator told the crowd they would “Win It All.” “Night Shift” is a "
            "drama she likes."
        )
        assert _quotes(_annotate(nlp, scheme, text)) == ["Win It All."]

    @pytest.mark.parametrize(
        ("text", "quote"),
        [
            pytest.param(
                "Rally.\nHe said, “We will win this state,” by all accounts the boldest claim "
                "of the night.",
                "We will win this state,",
                id="by-and-no-author",
            ),
            pytest.param(
                "Rally.\nThe senator told voters the bill was “a Trojan Horse,” a phrase she "
                "has used before.",
                "a Trojan Horse,",
                id="said-words-before-an-apposition",
            ),
        ],
    )
    def test_words_like_a_title_stay_quotes(
        self, nlp: Language, scheme: Scheme, text: str, quote: str
    ) -> None:
        """Someone's words followed by 'by' with no author, or by an apposition, stay QUOTEs."""
        assert quote in _quotes(_annotate(nlp, scheme, text))


class TestMarks:
    def test_a_closing_mark_glued_to_the_next_word_closes(
        self, nlp: Language, scheme: Scheme
    ) -> None:
        """A straight mark after a comma with the space after it left out ('state,"Dana')
        closes the quotation: the attribution after it is no quotation."""
        text = (
            'Campaign news.\n"We will fight for every vote in this state,"Dana Cole, who chairs '
            'the group, said in a statement. "More and more people are with us."'
        )
        pre = _annotate(nlp, scheme, text)
        assert _quotes(pre) == [
            "We will fight for every vote in this state,",
            "More and more people are with us.",
        ]
        assert _speakers(pre)["We will fight for every vote in this state,"] == "Dana Cole"


class TestSubheads:
    """`rule/quote.v6`: a paragraph that is only a quotation in single marks is a subhead."""

    def test_a_single_marked_paragraph_is_a_subhead(self, nlp: Language, scheme: Scheme) -> None:
        """‘A long night ahead.’ on a line of its own opens a section: no QUOTE."""
        text = (
            "Campaign notes.\nThe polls closed at eight.\n‘A long night ahead.’\n"
            "Volunteers stayed at the office until the last county reported."
        )
        assert _quotes(_annotate(nlp, scheme, text)) == []

    @pytest.mark.parametrize(
        ("text", "quote"),
        [
            pytest.param(
                "Campaign notes.\n“A long night ahead.”\nVolunteers stayed until the end.",
                "A long night ahead.",
                id="double-marks-are-a-quotation",
            ),
            pytest.param(
                "Campaign notes.\nShe told them it was ‘a long night ahead’ for everyone.",
                "a long night ahead",
                id="single-marks-inside-a-sentence",
            ),
        ],
    )
    def test_other_quotations_stay(
        self, nlp: Language, scheme: Scheme, text: str, quote: str
    ) -> None:
        """Double marks around a paragraph, or single marks inside a sentence, still quote."""
        assert quote in _quotes(_annotate(nlp, scheme, text))
