from onprovence.checks import check_media_tools


def test_missing_ffmpeg_is_named_with_how_to_install_it(settings):
    settings.FFMPEG_BINARY = "/nonexistent/ffmpeg"

    errors = check_media_tools()

    assert [error.id for error in errors] == ["onprovence.E001"]
    assert errors[0].msg == "ffmpeg not found (settings.FFMPEG_BINARY = '/nonexistent/ffmpeg')."
    assert "apt-get install ffmpeg" in errors[0].hint
    assert "FFMPEG_BINARY" in errors[0].hint


def test_installed_ffmpeg_and_ffprobe_pass_the_check():
    assert check_media_tools() == []
