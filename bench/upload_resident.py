#!/usr/bin/env python3
"""The resident's bitrate bench (issue 15): a recording sent from Chromium on a weak uplink.

In Chromium on a phone viewport, the page's own recorder films `--seconds` (90) from Chromium's fake
camera (a generated natural-looking 720x1280 scene, below), then, on an uplink throttled to 1 Mb/s
(CDP Network.emulateNetworkConditions), the time from "Envoyer cette vidéo" to the thank-you page is
measured: before (the recorder at the browser's default bitrate: the page's MediaRecorder made to
ignore the bitrates it is given) and after (the chosen bitrates, ambassadors/conf.py). Each is
printed with its baseline from the same run: the time the throttled uplink needs for the same bytes
(size / rate), so what the page adds is the ratio. The site runs under gunicorn (DEBUG off,
PostgreSQL, Redis, S3 = moto on loopback with the bucket's CORS rule, as deployed).

`--quality` also measures the SSIM (ffmpeg's ssim filter) between a generated source and the
published web rendition (ambassadors.services.pipeline.video_process_local, the real builder)
made from the source encoded as the browser's recorder does (libvpx VP9 and VP8, realtime,
constant bitrate, Opus) at the default and at the chosen bitrate.

Usage: .venv/bin/python bench/upload_resident.py [--seconds 90] [--uplink-kbps 1000]
       [--quality] [--quality-seconds 20]
Environment: BENCH_DATABASE_URL, BENCH_REDIS_URL (as bench/redirect.py).
"""

import re
import secrets
import time
from pathlib import Path

# --- The bitrate bench (run as a script) ----------------------------------------------------------

# Chromium's MediaRecorder default for 720p, all tracks (issue 15: ~28 MB for 90 s).
DEFAULT_BITS_PER_SECOND = 2_500_000
ENVOYER = "Envoyer cette vidéo"
PHONE = {"width": 360, "height": 740}


def camera_source(work: Path, seconds: float = 5) -> Path:
    """The fake camera's film (Chromium loops it): the natural-looking source, as Y4M."""
    import subprocess

    path = work / "camera.y4m"
    subprocess.run(
        ["ffmpeg", "-nostdin", "-hide_banner", "-loglevel", "error", "-y",
         "-f", "lavfi", "-i", NATURAL_SOURCE.format(seconds=seconds), "-pix_fmt", "yuv420p",
         str(path)],
        check=True,
    )  # fmt: skip
    return path


# "Before": the page's recorder as it was, at the browser's default bitrate.
WITHOUT_BITRATES = """(() => {
  const Recorder = window.MediaRecorder;
  window.MediaRecorder = class extends Recorder {
    constructor(stream, options = {}) {
      const { videoBitsPerSecond, audioBitsPerSecond, ...rest } = options;
      super(stream, rest);
    }
  };
  window.MediaRecorder.isTypeSupported = (type) => Recorder.isTypeSupported(type);
})();"""


def send_time(browser, base: str, *, seconds: float, default: bool, uplink_bytes: int):
    """Record `seconds` in the page, then (testimonial id, seconds from the click on "Envoyer
    cette vidéo" to the thank-you page) on the throttled uplink."""
    context = browser.new_context(
        viewport=PHONE, is_mobile=True, has_touch=True, locale="fr-FR", device_scale_factor=1
    )
    context.grant_permissions(["camera", "microphone"])
    if default:
        context.add_init_script(WITHOUT_BITRATES)
    page = context.new_page()
    try:
        page.goto(f"{base}/ambassadeurs/vous/")
        page.get_by_label("Prénom (affiché avec la vidéo)").fill("Banc")
        page.get_by_label("Adresse e-mail").fill(f"banc-{secrets.token_hex(4)}@example.org")
        page.get_by_label("Commune où vous vivez").fill("Marseille")
        page.get_by_label("Votre secteur").select_option("aeronautique")
        page.get_by_label("18 ans ou plus").check()
        page.get_by_label("J'ai lu l'autorisation de diffusion ci-dessus et je l'accepte.").check()
        page.get_by_role("button", name="Continuer vers la vidéo").click()
        page.wait_for_url("**/ambassadeurs/video/")
        page.get_by_role("button", name="Activer la caméra").click()
        page.wait_for_function("() => document.getElementById('preview').readyState >= 2")
        page.get_by_role("button", name="Enregistrer").click()
        page.wait_for_selector("#timer:not([hidden])", timeout=10_000)
        page.wait_for_timeout(seconds * 1000)
        stop = page.locator("#record-stop")
        if stop.is_visible():  # else the recorder stopped at the limit by itself
            stop.click()
        page.wait_for_selector("#review:not([hidden])", timeout=30_000)
        testimonial = page.evaluate(
            "JSON.parse(document.getElementById('journey-config').textContent).testimonial"
        )
        cdp = context.new_cdp_session(page)
        cdp.send("Network.enable")
        cdp.send(
            "Network.emulateNetworkConditions",
            {"offline": False, "latency": 40, "downloadThroughput": -1,
             "uploadThroughput": uplink_bytes},
        )  # fmt: skip
        started = time.monotonic()
        page.get_by_role("button", name=ENVOYER).click()
        page.wait_for_url("**/ambassadeurs/suivi/**", timeout=3_600_000)
        return testimonial, time.monotonic() - started
    finally:
        context.close()


def ssim(reference: Path, other: Path, seconds: float) -> float:
    """Mean SSIM (all planes) of `other` against `reference`, frames paired at 30 fps."""
    import subprocess

    graph = (
        f"[0:v]trim=duration={seconds},setpts=PTS-STARTPTS,fps=30[a];"
        f"[1:v]trim=duration={seconds},setpts=PTS-STARTPTS,fps=30[b];[a][b]ssim"
    )
    run = subprocess.run(
        ["ffmpeg", "-nostdin", "-hide_banner", "-i", str(reference), "-i", str(other),
         "-lavfi", graph, "-f", "null", "-"],
        capture_output=True, text=True, check=True,
    )  # fmt: skip
    return float(re.search(r"All:([0-9.]+)", run.stderr)[1])


# A phone held upright, the resident in front of foliage: a textured, slightly blurred
# background, a head and shoulders that move, the hand's shake, the sensor's noise.
NATURAL_SOURCE = (
    "nullsrc=s=45x80:r=30,geq=lum='70+110*random(1)':cb='112+18*random(2)':"
    "cr='124+22*random(3)',loop=loop=-1:size=1,scale=800x1400:flags=bicubic,format=yuv420p[c];"
    "nullsrc=s=400x700:r=30,geq=lum='random(1)*255':cb=128:cr=128,loop=loop=-1:size=1,"
    "scale=800x1400:flags=bicubic,format=yuv420p[f];"
    "[c][f]blend=all_mode=overlay:all_opacity=0.25,"
    "crop=720:1280:x='40+18*sin(t*1.7)+6*sin(t*5.3)':y='60+14*sin(t*1.3)+5*sin(t*4.1)'[scene];"
    "color=c=0x203050:s=360x420:r=30,format=yuva420p,geq=lum='p(X,Y)-20*Y/H':cb='p(X,Y)':"
    "cr='p(X,Y)':a='if(lte(pow((X-W/2)/(W/2),2)+pow((Y-H)/(H*0.9),2),1),255,0)'[body];"
    "color=c=0xd0a080:s=230x300:r=30,format=yuva420p,geq=lum='p(X,Y)+25*cos(PI*(X-W/2)/W)-15':"
    "cb='p(X,Y)':cr='p(X,Y)':a='if(lte(pow((X-W/2)/(W/2),2)+pow((Y-H/2)/(H/2),2),1),255,0)'"
    "[head];[scene][body]overlay=x='180+8*sin(2*PI*t/4)':y=860[seated];"
    "[seated][head]overlay=x='245+25*sin(2*PI*t/3)':y='560+8*sin(2*PI*t*1.3)',"
    "noise=alls=2:allf=t,format=yuv420p,trim=duration={seconds}"
)


def browser_recording(source: Path, out: Path, *, codec: str, video_bps: int, audio_bps: int,
                      seconds: float) -> Path:  # fmt: skip
    """The source as a browser's MediaRecorder writes it: live WebM, realtime libvpx at a
    constant bitrate, Opus."""
    import subprocess

    encoder = ["-c:v", "libvpx-vp9", "-row-mt", "1"] if codec == "vp9" else ["-c:v", "libvpx"]
    rate = f"{video_bps // 1000}k"
    subprocess.run(
        ["ffmpeg", "-nostdin", "-hide_banner", "-loglevel", "error", "-y",
         "-t", str(seconds), "-i", str(source),
         "-f", "lavfi", "-i", f"sine=frequency=220:duration={seconds}",
         *encoder, "-deadline", "realtime", "-cpu-used", "8",
         "-b:v", rate, "-minrate", rate, "-maxrate", rate,
         "-c:a", "libopus", "-b:a", f"{audio_bps // 1000}k", "-shortest",
         "-f", "webm", "-live", "1", str(out)],
        check=True,
    )  # fmt: skip
    return out


def quality(work: Path, seconds: float) -> None:
    """SSIM of the published rendition made from a recording at each bitrate."""
    import subprocess

    import django

    django.setup()
    from ambassadors import conf
    from ambassadors.services.pipeline import video_process_local

    source = work / "source.mp4"
    subprocess.run(
        ["ffmpeg", "-nostdin", "-hide_banner", "-loglevel", "error", "-y",
         "-f", "lavfi", "-i", NATURAL_SOURCE.format(seconds=seconds),
         "-c:v", "libx264", "-preset", "ultrafast", "-crf", "10", "-pix_fmt", "yuv420p",
         str(source)],
        check=True,
    )  # fmt: skip
    chosen = (conf.RECORDING_VIDEO_BITS_PER_SECOND, conf.RECORDING_AUDIO_BITS_PER_SECOND)
    print(
        f"quality: {seconds:g} s source, 720x1280 30 fps (generated: foliage, a person, hand "
        f"shake, sensor noise; x264 CRF 10), recorded as live WebM by libvpx realtime CBR + Opus"
    )
    for codec in ("vp9", "vp8"):
        figures = {}
        for label, (video_bps, audio_bps) in (
            ("default", (DEFAULT_BITS_PER_SECOND - 128_000, 128_000)),
            ("chosen", chosen),
        ):
            recording = browser_recording(
                source, work / f"{codec}-{label}.webm", codec=codec, video_bps=video_bps,
                audio_bps=audio_bps, seconds=seconds,
            )  # fmt: skip
            folder = work / f"{codec}-{label}"
            folder.mkdir()
            result = video_process_local(recording, folder)
            if not result.accepted:
                raise SystemExit(f"{recording.name} refused: {result.verdict.reason}")
            size = recording.stat().st_size
            figures[label] = ssim(source, result.outputs["web"], seconds)
            print(
                f"  {codec} {label:7} {video_bps / 1e6:.2f}+{audio_bps / 1e3:.0f}k b/s: "
                f"{size / 1e6:.2f} MB for {seconds:g} s = {size * 90 / seconds / 1e6:.1f} MB "
                f"for 90 s; SSIM source/recording {ssim(source, recording, seconds):.4f}, "
                f"source/published rendition {figures[label]:.4f}"
            )
        print(
            f"  {codec}: published rendition SSIM, chosen - default = "
            f"{figures['chosen'] - figures['default']:+.4f}"
        )


def main() -> int:
    import argparse
    import os
    import subprocess
    import sys
    import tempfile

    root = Path(__file__).resolve().parent.parent
    sys.path.insert(0, str(root))
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--seconds", type=float, default=90, help="length of the recording")
    parser.add_argument("--uplink-kbps", type=int, default=1000, help="throttled uplink, kb/s")
    parser.add_argument("--quality", action="store_true", help="also measure the SSIM")
    parser.add_argument("--quality-seconds", type=float, default=20)
    options = parser.parse_args()

    from bench.common import export_environment, start_upload_store
    from bench.redirect import ensure_database, free_port, wait_for
    from bench.upload_parallel import S3_VARIABLES, configure
    from tests.browser import launch_chromium
    from tests.processes import stop

    work = Path(tempfile.mkdtemp(prefix="bench-upload-resident-"))
    port = free_port()
    env, endpoint = configure(argparse.Namespace(backend="s3"), work, port)
    # The page's origin: the bucket's CORS rule and the links are made for it.
    env.update(SITE_URL=f"http://localhost:{port}", TRUSTED_PROXY_COUNT="0")
    export_environment(env, S3_VARIABLES)
    processes: list[subprocess.Popen] = []
    try:
        ensure_database(env)
        processes.append(start_upload_store(endpoint, env, root))
        # What the Dockerfile does: whitenoise serves the collected files (the page's scripts).
        subprocess.run(
            [sys.executable, "manage.py", "collectstatic", "--noinput", "-v0"],
            cwd=root, env=env, check=True,
        )  # fmt: skip
        import django

        django.setup()
        from ambassadors import conf
        from ambassadors.models import Testimonial

        camera = camera_source(work)
        print(
            f"bench/upload_resident.py — a {options.seconds:g} s recording sent from Chromium "
            f"(phone viewport) on a {options.uplink_kbps} kb/s uplink, {os.cpu_count()} CPUs, "
            f"{time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime())}"
        )
        print(
            f"recorded by the page's own recorder from Chromium's fake camera filming a "
            f"generated 720x1280 scene (looped 5 s); bitrates: the browser's default; chosen "
            f"{conf.RECORDING_VIDEO_BITS_PER_SECOND / 1e6:.2f} Mb/s video + "
            f"{conf.RECORDING_AUDIO_BITS_PER_SECOND / 1e3:.0f} kb/s audio"
        )
        server = subprocess.Popen(
            [sys.executable, "-m", "gunicorn", "onprovence.wsgi:application",
             "--bind", f"127.0.0.1:{port}", "--workers", "2", "--log-level", "warning"],
            cwd=root, env=env,
        )  # fmt: skip
        processes.append(server)
        wait_for(port)
        base = f"http://localhost:{port}"
        uplink_bytes = options.uplink_kbps * 1000 // 8
        from playwright.sync_api import sync_playwright

        with sync_playwright() as playwright:
            browser = launch_chromium(
                playwright,
                [
                    "--use-fake-device-for-media-stream",
                    "--use-fake-ui-for-media-stream",
                    f"--use-file-for-fake-video-capture={camera}",
                ],
            )
            sends = []
            try:
                for label, default in (
                    ("before (browser default)", True),
                    ("after (chosen bitrate)", False),
                ):
                    testimonial, seconds = send_time(
                        browser, base, seconds=options.seconds, default=default,
                        uplink_bytes=uplink_bytes,
                    )  # fmt: skip
                    sends.append((label, testimonial, seconds))
            finally:
                browser.close()
        for label, testimonial, seconds in sends:  # out of Playwright's event loop: the ORM
            size = Testimonial.objects.get(pk=testimonial).original_size
            floor = size / uplink_bytes
            print(
                f"{label}: {size / 1e6:.1f} MB recorded in {options.seconds:g} s "
                f"({size * 8 / options.seconds / 1e6:.2f} Mb/s), Envoyer -> thank-you page "
                f"{seconds:.1f} s; baseline (the uplink alone: size / "
                f"{options.uplink_kbps} kb/s) {floor:.1f} s = {seconds / floor:.2f}x"
            )
        if options.quality:
            quality(work, options.quality_seconds)
    finally:
        for process in reversed(processes):
            stop(process)
        import shutil

        shutil.rmtree(work, ignore_errors=True)  # the camera's film and the renditions: ~1 GB
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
