"""The drafts made of a model's timed segments (pure functions of ambassadors/media/speech.py):
WebVTT cues of two lines of 42 characters and 7 s at most, cut at sentences and pauses; the
transcript; quotes that are whole sentences; the extraction's arguments."""

import itertools

from ambassadors.media import speech as media_speech
from ambassadors.media.speech import Segment
from ambassadors.services.captions import captions_validate

LONG = (
    "Je travaille ici depuis trois ans et chaque matin je traverse l'étang de Berre pour "
    "rejoindre l'atelier où nous assemblons des pales d'hélicoptère avec une équipe formidable "
    "qui vient de toute la région et même de plus loin encore"
)


def cues(vtt: str) -> list[tuple[float, float, list[str]]]:
    found = []
    for block in vtt.strip().split("\n\n")[1:]:
        lines = block.split("\n")
        timing = next(i for i, line in enumerate(lines) if "-->" in line)
        start, end = (_seconds(part.strip()) for part in lines[timing].split("-->"))
        found.append((start, end, lines[timing + 1 :]))
    return found


def _seconds(stamp: str) -> float:
    hours, minutes, seconds = stamp.split(":")
    return int(hours) * 3600 + int(minutes) * 60 + float(seconds)


def test_a_long_segment_becomes_cues_of_two_lines_of_42_characters_and_7_seconds_at_most():
    vtt = media_speech.captions_from_segments([Segment(1.0, 21.0, LONG)])

    assert captions_validate(vtt) == vtt
    found = cues(vtt)
    assert len(found) >= 3
    for start, end, lines in found:
        assert end - start <= 7.0 + 1e-6
        assert 1 <= len(lines) <= 2 and all(len(line) <= 42 for line in lines)
    words = " ".join(" ".join(lines) for _, _, lines in found).split()
    assert words == LONG.split()
    assert found[0][0] == 1.0 and found[-1][1] <= 21.0


def test_cues_are_cut_at_sentence_ends_and_at_pauses():
    segments = [
        Segment(0.0, 3.0, "Bonjour à tous. Je suis Léa."),
        Segment(3.1, 4.0, "et voilà"),
        Segment(5.5, 7.0, "ma ville"),
    ]

    found = cues(media_speech.captions_from_segments(segments))

    assert [" ".join(lines) for _, _, lines in found] == [
        "Bonjour à tous.",
        "Je suis Léa.",
        "et voilà",  # a 1.5 s pause follows
        "ma ville",
    ]
    assert all(earlier[1] <= later[0] for earlier, later in itertools.pairwise(found))


def test_a_word_longer_than_a_line_is_split_rather_than_overflowing():
    vtt = media_speech.captions_from_segments([Segment(0.0, 2.0, "a" * 100)])
    for _, _, lines in cues(vtt):
        assert all(len(line) <= 42 for line in lines)


def test_segments_are_clipped_to_the_clip_cleaned_and_ordered():
    segments = [
        Segment(8.0, 27.4, "au-delà de la fin"),  # whisper.cpp times a window, not the clip
        Segment(0.0, 2.0, "[Musique] (rires) début\ufffd"),
        Segment(1.5, 3.0, "♪♪"),
        Segment(12.0, 14.0, "après la fin"),
    ]

    clipped = media_speech.segments_clip(segments, 10.0)

    assert clipped == [Segment(0.0, 2.0, "début"), Segment(8.0, 10.0, "au-delà de la fin")]


def test_model_text_cannot_inject_markup_or_timings_into_the_webvtt():
    vtt = media_speech.captions_from_segments(
        media_speech.segments_clip([Segment(0, 2, "<c.x>a</c> & b --> 00:00:09.000")], 5)
    )
    captions_validate(vtt)
    body = vtt.split("\n", 4)[-1]
    assert "<" not in body and "&" not in body and "-->" not in body


def test_nothing_to_caption_gives_no_webvtt():
    assert media_speech.captions_from_segments([]) == ""


def test_the_transcript_keeps_paragraphs_at_long_pauses_after_a_sentence():
    segments = [
        Segment(0.0, 2.0, "Première idée."),
        Segment(2.1, 3.0, "Suite."),
        Segment(6.0, 8.0, "Nouvelle partie"),
    ]
    assert media_speech.transcript_from_segments(segments) == (
        "Première idée. Suite.\n\nNouvelle partie"
    )


def test_quotes_are_whole_sentences_of_a_quotable_length_three_at_most():
    transcript = (
        "Oui. Je suis venue pour le travail et je suis restée pour la lumière du soir. "
        "Ici, les collègues deviennent des amis et les week-ends sont des vacances ! "
        "Trop court. " + "Très " * 60 + "long. "
        "Est-ce que je recommande la Provence à un ami ingénieur ? "
        "Une quatrième phrase assez longue pour être citée sur une carte. "
        "et une phrase sans fin qui traîne encore un peu"
    )

    quotes = media_speech.quotes_suggest(transcript)

    assert len(quotes) == 3
    for quote in quotes:
        assert 40 <= len(quote) <= 200 and quote[-1] in ".!?"
        assert quote in transcript
    assert "Trop court." not in quotes


def test_the_audio_extraction_is_16_khz_mono_wav_through_the_hardened_input_options():
    command = media_speech.audio_extract_command(
        "ffmpeg", "/work/web.mp4", "mov", "/work/speech.wav", max_duration=120
    )
    joined = " ".join(command)
    assert "-protocol_whitelist file -format_whitelist mov -f mov" in joined
    assert "-map 0:a:0" in joined and "-ac 1 -ar 16000 -c:a pcm_s16le -f wav" in joined
    assert command[-1] == "/work/speech.wav" and "-t 120.000" in joined
