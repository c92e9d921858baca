#!/usr/bin/env bash
# Install the Debian packages the platform needs, when they are missing.
#   run:  ffmpeg/ffprobe (the media workers), gettext (translations)
#   test: chromium, firefox-esr and WebKitGTK's WebDriver + MiniBrowser (webkit2gtk-driver) under
#         xvfb, with GStreamer's plugins for WebKit's media, and node/npm for puppeteer-core
#         (browser tests: never a downloaded browser), docker-compose (validates the
#         compose file), zbar and poppler (decode QR codes and read PDFs in tests), wrk (the
#         bench scripts' smoke test)
#   bench: wrk (HTTP load)
set -euo pipefail
need=()
case "${1:-run}" in
  run)  command -v ffmpeg >/dev/null && command -v ffprobe >/dev/null || need+=(ffmpeg)
        [ -f /usr/share/fonts/truetype/dejavu/DejaVuSans-Bold.ttf ] || need+=(fonts-dejavu-core)  # posters
        command -v msgfmt >/dev/null || need+=(gettext) ;;
  test) command -v chromium >/dev/null || need+=(chromium)
        command -v firefox-esr >/dev/null || need+=(firefox-esr)
        command -v WebKitWebDriver >/dev/null || need+=(webkit2gtk-driver)
        command -v Xvfb >/dev/null || need+=(xvfb)
        command -v node >/dev/null || need+=(nodejs)
        command -v npm >/dev/null || need+=(npm)
        for plugins in gstreamer1.0-plugins-good gstreamer1.0-plugins-bad \
                       gstreamer1.0-plugins-ugly gstreamer1.0-libav; do
          dpkg -s "$plugins" >/dev/null 2>&1 || need+=("$plugins")
        done
        command -v docker-compose >/dev/null || need+=(docker-compose)
        ldconfig -p | grep -q libzbar.so.0 || need+=(libzbar0)
        command -v pdftotext >/dev/null || need+=(poppler-utils)
        command -v wrk >/dev/null || need+=(wrk) ;;
  bench) command -v wrk >/dev/null || need+=(wrk); command -v chromium >/dev/null || need+=(chromium) ;;
  *) echo "usage: $0 run|test|bench" >&2; exit 2 ;;
esac
[ ${#need[@]} -eq 0 ] && exit 0
if [ "$(id -u)" -ne 0 ] || ! command -v apt-get >/dev/null; then
  echo "Missing system packages: ${need[*]}." >&2
  echo "Install them with your package manager (Debian/Ubuntu: sudo apt-get install ${need[*]})," >&2
  echo "or point FFMPEG_BINARY / FFPROBE_BINARY / CHROMIUM_PATH at existing executables." >&2
  exit 1
fi
echo "Installing ${need[*]} from Debian's packages..."
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
apt-get install -y -qq --no-install-recommends "${need[@]}" >/dev/null
