"""Pure media functions: ffprobe/ffmpeg argument lists, output parsers, verdicts and flags.

Nothing here touches the database, the network or the file system (except `sniff_container`'s
caller, which passes the first bytes of a file): every function takes plain values and returns
plain values, so the rules are unit-tested without ffmpeg. `ambassadors.services.pipeline`
runs the commands these functions build through `onprovence.mediarunner`, the project's one
runner, which also holds the content sniffing and the forced-demuxer options.
"""
