#!/bin/sh
# Regenerates the real MP4 files the mp4check tests accept (ffmpeg 5.1, run in this folder).
set -e
src="-f lavfi -i testsrc=size=32x18:rate=8:duration=1 -f lavfi -i sine=frequency=440:duration=1:sample_rate=8000"
enc="-c:v libx264 -preset ultrafast -g 4 -c:a aac -b:a 16k -ac 1 -map_metadata -1 -fflags +bitexact -flags:v +bitexact -flags:a +bitexact"
ff() { ffmpeg -hide_banner -loglevel error -y "$@"; }
ff $src $enc moov_at_end.mp4
ff $src $enc -f mov quicktime.mov
ff $src $enc -movflags frag_keyframe+empty_moov frag_base_offset.mp4
ff $src $enc -movflags frag_keyframe+empty_moov+default_base_moof frag_base_moof.mp4
ff $src $enc -movflags frag_keyframe+empty_moov+separate_moof+omit_tfhd_offset frag_separate_moof.mp4
ff $src $enc -movflags frag_keyframe+empty_moov+omit_tfhd_offset frag_implicit_base.mp4
ff $src $enc -movflags frag_keyframe+empty_moov+default_base_moof+global_sidx frag_sidx.mp4
ff -f lavfi -i testsrc=size=32x18:rate=8:duration=1 -c:v libx264 -preset ultrafast -g 4 \
  -map_metadata -1 -fflags +bitexact -flags:v +bitexact \
  -movflags frag_every_frame+empty_moov+default_base_moof frag_every_frame.mp4
