"""Unit tests of container sniffing, the ffprobe command and its output parser (no ffmpeg)."""

import json

import pytest

from ambassadors.media.probe import (
    MATROSKA,
    MOV,
    ProbeOutputError,
    input_options,
    looks_like_image,
    packet_scan_command,
    parse_packet_scan,
    parse_probe,
    probe_command,
    refused_sizes,
    sniff_container,
)


@pytest.mark.parametrize(
    ("head", "expected"),
    [
        (b"\x00\x00\x00\x20ftypisom\x00\x00\x02\x00", MOV),
        (b"\x00\x00\x00\x14ftypqt  \x00\x00\x00\x00", MOV),
        (b"\x00\x00\x00\x08wide\x00\x00\x00\x00", MOV),
        (b"\x1a\x45\xdf\xa3\x9f\x42\x86\x81\x01", MATROSKA),
        (b"#EXTM3U\n#EXT-X-VERSION:3\n", None),
        (b"ffconcat version 1.0\nfile a", None),
        (b"\x89PNG\r\n\x1a\n\x00\x00\x00\x0dIHDR", None),
        (b"RIFF\x00\x00\x00\x00AVI LIST", None),
        (b"", None),
        (b"ftyp", None),
    ],
)
def test_only_iso_bmff_and_matroska_signatures_are_recognised(head, expected):
    assert sniff_container(head) == expected


def test_images_are_told_apart_from_other_unknown_files():
    assert looks_like_image(b"\x89PNG\r\n\x1a\n")
    assert looks_like_image(b"\xff\xd8\xff\xe0\x00\x10JFIF")
    assert looks_like_image(b"RIFF\x10\x00\x00\x00WEBPVP8 ")
    assert not looks_like_image(b"RIFF\x10\x00\x00\x00AVI LIST")
    assert not looks_like_image(b"#EXTM3U")


def test_the_probe_command_forces_one_demuxer_and_the_file_protocol():
    command = probe_command("/usr/bin/ffprobe", "/work/t/original", MOV)

    assert command[0] == "/usr/bin/ffprobe"
    assert command[-2:] == ["-i", "/work/t/original"]
    options = command[command.index("-protocol_whitelist") :]
    assert options[:12] == [
        "-protocol_whitelist", "file", "-format_whitelist", "mov", "-f", "mov",
        "-enable_drefs", "0", "-use_absolute_path", "0", "-show_format", "-show_streams",
    ]  # fmt: skip
    assert input_options(MATROSKA) == [
        "-protocol_whitelist", "file", "-format_whitelist", "matroska", "-f", "matroska",
    ]  # fmt: skip


def _probe(**overrides) -> str:
    data = {
        "streams": [
            {
                "codec_type": "video",
                "codec_name": "h264",
                "profile": "High",
                "width": 1920,
                "height": 1080,
                "pix_fmt": "yuv420p",
                "avg_frame_rate": "30000/1001",
                "r_frame_rate": "30/1",
                "side_data_list": [{"side_data_type": "Display Matrix", "rotation": -90}],
            },
            {"codec_type": "audio", "codec_name": "aac", "channels": 2, "sample_rate": "48000"},
            {"codec_type": "data", "codec_name": "bin_data"},
        ],
        "format": {
            "format_name": "mov,mp4,m4a,3gp,3g2,mj2",
            "duration": "12.345",
            "size": "1000",
            "bit_rate": "648",
        },
    }
    data.update(overrides)
    return json.dumps(data)


def test_probe_json_becomes_facts_with_rotation_applied_to_the_display_size():
    facts = parse_probe(_probe())

    assert facts.duration == 12.345
    assert facts.video.codec == "h264"
    assert facts.video.rotation == 270
    assert facts.video.display_size == (1080, 1920)
    assert facts.video.frame_rate == pytest.approx(29.97, abs=0.01)
    assert facts.video.variable_frame_rate is True
    assert (facts.audio.codec, facts.audio.channels, facts.audio.sample_rate) == ("aac", 2, 48000)
    assert (facts.video_streams, facts.audio_streams, facts.other_streams) == (1, 1, 1)
    stored = facts.as_dict()
    assert (stored["video"]["display_width"], stored["video"]["display_height"]) == (1080, 1920)
    json.dumps(stored)


def test_a_legacy_rotate_tag_is_read_and_cover_art_is_not_a_video_track():
    facts = parse_probe(
        _probe(
            streams=[
                {"codec_type": "video", "codec_name": "h264", "width": 640, "height": 480,
                 "tags": {"rotate": "90"}},
                {"codec_type": "video", "codec_name": "mjpeg", "width": 300, "height": 300,
                 "disposition": {"attached_pic": 1}},
            ]
        )
    )  # fmt: skip

    assert facts.video.rotation == 90
    assert facts.video_streams == 1
    assert facts.audio is None


def test_a_missing_or_zero_duration_is_unknown():
    assert parse_probe(_probe(format={"format_name": "matroska,webm"})).duration is None
    assert parse_probe(_probe(format={"format_name": "x", "duration": "0.000"})).duration is None


@pytest.mark.parametrize("output", ["", "not json", "[]", '{"streams": []}'])
def test_output_that_is_not_a_description_raises(output):
    with pytest.raises(ProbeOutputError):
        parse_probe(output)


def test_refused_picture_sizes_are_read_from_the_error_output():
    stderr = (
        "[h264 @ 0x1] [IMGUTILS @ 0x2] Picture size 30000x30000 is invalid\n"
        "[h264 @ 0x1] [IMGUTILS @ 0x2] Picture size 30000x30000 is invalid\n"
    )
    assert refused_sizes(stderr) == [(30000, 30000)]
    assert parse_probe(_probe(), stderr).refused_sizes == [(30000, 30000)]


def test_the_packet_scan_reads_the_picture_and_sound_packets_only_demuxing():
    command = packet_scan_command("/usr/bin/ffmpeg", "/work/t/original", MATROSKA)

    assert command[:2] == ["/usr/bin/ffmpeg", "-nostdin"]
    assert command[command.index("-protocol_whitelist") :][:6] == [
        "-protocol_whitelist", "file", "-format_whitelist", "matroska", "-f", "matroska",
    ]  # fmt: skip
    assert command[command.index("-i") :] == [
        "-i", "/work/t/original", "-map", "0:v:0", "-map", "0:a:0?", "-c", "copy",
        "-f", "null", "-progress", "pipe:1", "-",
    ]  # fmt: skip


def test_the_packet_scan_gives_frames_and_the_length_and_overrules_a_lying_header():
    progress = (
        "frame=1\nout_time_us=78\nprogress=continue\n"
        "frame=100\nfps=0.00\nout_time_us=3960078\nout_time=00:00:03.960078\nprogress=end\n"
    )

    scan = parse_packet_scan(progress)

    assert (scan.frames, scan.last_start) == (100, 3.960078)
    assert scan.length(None) == 4.0
    assert scan.length(4.0) == 4.0  # an honest header, within two frames
    assert scan.length(4.021) == 4.021
    assert scan.length(3.95) == 3.95  # the sound may end a little after the picture
    assert scan.length(60.0) == 4.0  # a header claiming more (or less) is overruled
    assert scan.length(2.0) == 4.0
    assert parse_packet_scan("") is None
    assert parse_packet_scan("frame=0\nout_time_us=0\nprogress=end\n") is None
    assert parse_packet_scan("frame=12\nout_time_us=N/A\nprogress=end\n") is None
