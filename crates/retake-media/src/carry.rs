//! What an edit expects an output to keep besides the pictures: the
//! source's sound, subtitles and data streams, its start timecode and reel
//! name. A video output copies those streams packet for packet (trimmed
//! to the rendered frames' times) where its container can hold them and
//! names in one warning line what it cannot; an image sequence stamps
//! each frame's timecode (EXR `timeCode`) and says that its sound stays
//! behind.

use ff::ffi;
use ff::format::context::{Input, Output};
use ff::media::Type as MediaType;
use ffmpeg_next as ff;
use retake_core::{ClipInfo, Error, Rational, Result};

use crate::pcm::PcmRoute;
use crate::timecode::Timecode;
use crate::video::{describe, init};

/// The kind of a stream that is not the picture.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum StreamKind {
    Audio,
    Subtitle,
    Data,
    Attachment,
}

impl StreamKind {
    fn name(self) -> &'static str {
        match self {
            StreamKind::Audio => "audio",
            StreamKind::Subtitle => "subtitle",
            StreamKind::Data => "data",
            StreamKind::Attachment => "attachment",
        }
    }
}

/// A stream of the source other than its pictures.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct OtherStream {
    /// Index in the source file.
    pub index: usize,
    pub kind: StreamKind,
    /// FFmpeg's codec name (`aac`, `pcm_s16le`, `mov_text`, ...).
    pub codec: String,
}

/// Everything besides the pictures that a source file carries.
#[derive(Clone, Debug, PartialEq)]
pub struct MediaFacts {
    pub path: String,
    /// Timecode of the first picture, at `frame_rate`.
    pub timecode: Option<Timecode>,
    /// Reel or clip name (MOV `tmcd` reel, a `reel_name` tag).
    pub reel: Option<String>,
    /// Rate of the pictures: turns frame numbers into the source's times.
    pub frame_rate: Rational,
    /// Number of the first picture (0 for video files).
    pub first_frame: i64,
    /// Number of pictures.
    pub frames: Option<u64>,
    /// Time of the first picture in the file's clock, in seconds.
    pub video_start: f64,
    /// Sound, subtitle, data and attachment streams (not the `tmcd`
    /// track, which is the timecode above).
    pub streams: Vec<OtherStream>,
}

impl MediaFacts {
    /// Facts of the clip `info` describes (as probed or opened): for an
    /// image sequence only the first EXR frame's `timeCode`, for a video
    /// file its streams and tags.
    pub fn of(info: &ClipInfo) -> Result<MediaFacts> {
        let path = info.path.as_str();
        let mut facts = MediaFacts {
            path: path.to_string(),
            timecode: None,
            reel: None,
            frame_rate: info.frame_rate,
            first_frame: info.first_frame,
            frames: info.frames,
            video_start: 0.0,
            streams: Vec::new(),
        };
        if crate::sequence::is_image_path(path) {
            facts.timecode =
                crate::sequence::first_timecode(path).and_then(|t| parse_or_warn(&t, info));
            return Ok(facts);
        }
        let input = open(path)?;
        let video = input.streams().best(MediaType::Video).map(|s| s.index());
        let mut streams = Vec::new();
        let mut timecode = tag(input.metadata().get("timecode"));
        let mut reel = tag(input.metadata().get("reel_name"));
        let mut video_start = 0.0;
        for st in input.streams() {
            let meta = st.metadata();
            if timecode.is_none() {
                timecode = tag(meta.get("timecode"));
            }
            if reel.is_none() {
                reel = tag(meta.get("reel_name"));
            }
            if Some(st.index()) == video {
                let tb = st.time_base();
                if st.start_time() != ffi::AV_NOPTS_VALUE && tb.denominator() > 0 {
                    video_start = st.start_time() as f64 * f64::from(tb);
                }
                continue;
            }
            // SAFETY: codecpar of an open stream.
            let par = unsafe { &*(*st.as_ptr()).codecpar };
            let kind = match st.parameters().medium() {
                MediaType::Audio => StreamKind::Audio,
                MediaType::Subtitle => StreamKind::Subtitle,
                MediaType::Attachment => StreamKind::Attachment,
                MediaType::Video => {
                    // A second picture stream (a thumbnail, another angle)
                    // is not ours to render; say it stays behind.
                    StreamKind::Data
                }
                _ if par.codec_tag == u32::from_le_bytes(*b"tmcd") => continue,
                _ => StreamKind::Data,
            };
            streams.push(OtherStream {
                index: st.index(),
                kind,
                codec: codec_name(par.codec_id),
            });
        }
        facts.timecode = timecode.and_then(|t| parse_or_warn(&t, info));
        facts.reel = reel;
        facts.video_start = video_start;
        facts.streams = streams;
        Ok(facts)
    }

    /// One clause per kind, `2 audio streams, 1 subtitle stream`.
    fn count_text(streams: &[&OtherStream]) -> String {
        let mut parts = Vec::new();
        for kind in [
            StreamKind::Audio,
            StreamKind::Subtitle,
            StreamKind::Data,
            StreamKind::Attachment,
        ] {
            let n = streams.iter().filter(|s| s.kind == kind).count();
            if n > 0 {
                let s = if n == 1 { "" } else { "s" };
                parts.push(format!("{n} {} stream{s}", kind.name()));
            }
        }
        parts.join(", ")
    }
}

/// The clip's timecode at its rate; one that does not fit the rate (frame
/// 29 at 25 fps) is named in a warning rather than dropped silently.
fn parse_or_warn(text: &str, info: &ClipInfo) -> Option<Timecode> {
    let tc = Timecode::parse(text, info.frame_rate);
    if tc.is_none() {
        log::warn!(
            "{}: its timecode `{text}` is not valid at {} fps; outputs get none \
             (give --fps with the clip's true rate)",
            info.path,
            info.frame_rate
        );
    }
    tc
}

fn tag(v: Option<&str>) -> Option<String> {
    v.map(str::trim).filter(|t| !t.is_empty()).map(String::from)
}

fn codec_name(id: ffi::AVCodecID) -> String {
    // SAFETY: avcodec_get_name always returns a static string.
    unsafe {
        std::ffi::CStr::from_ptr(ffi::avcodec_get_name(id))
            .to_string_lossy()
            .into_owned()
    }
}

fn open(path: &str) -> Result<Input> {
    init();
    ff::format::input(&path)
        .map_err(|e| Error::input(path, format!("cannot read its streams: {}", describe(&e))))
}

/// The media an output carries and how its frame numbers line up with the
/// source: output frame `n` is the source's frame `n - shift`.
#[derive(Clone, Debug, PartialEq)]
pub struct Carry {
    pub facts: MediaFacts,
    pub shift: i64,
}

impl Carry {
    /// The output's frames are numbered like `facts`' own (the input's own
    /// media, or `--media-from` a clip the frames were rendered from).
    pub fn by_number(facts: MediaFacts) -> Carry {
        Carry { facts, shift: 0 }
    }

    /// Media from another clip for frames numbered from `first_frame`:
    /// by number when those numbers are frames of the source, else the
    /// first frame goes with the source's first picture (said in a warning).
    pub fn aligned(facts: MediaFacts, first_frame: i64, output: &str) -> Carry {
        let last = facts
            .frames
            .map(|n| facts.first_frame + n as i64 - 1)
            .unwrap_or(i64::MAX);
        if (facts.first_frame..=last).contains(&first_frame) {
            return Carry::by_number(facts);
        }
        log::warn!(
            "{output}: frame {first_frame} is not a frame of {} (frames {}-{last}); its first \
             frame is lined up with the source's first picture",
            facts.path,
            facts.first_frame
        );
        let shift = first_frame - facts.first_frame;
        Carry { facts, shift }
    }

    /// Source time, in seconds, at which output frame `n` is shown.
    pub fn seconds(&self, n: i64) -> f64 {
        let rate = self.facts.frame_rate;
        let rate = if rate.is_valid() { rate.as_f64() } else { 24.0 };
        self.facts.video_start + (n - self.shift - self.facts.first_frame) as f64 / rate
    }

    /// Timecode of output frame `n`, when the source has one.
    pub fn timecode_at(&self, n: i64) -> Option<String> {
        let tc = self.facts.timecode.as_ref()?;
        Some(tc.at(n - self.shift - self.facts.first_frame))
    }

    /// The EXR `timeCode` of output frame `n`.
    pub fn exr_timecode_at(&self, n: i64) -> Option<exr::meta::attribute::TimeCode> {
        let tc = self.facts.timecode.as_ref()?;
        tc.exr_at(n - self.shift - self.facts.first_frame)
    }

    /// The one warning an image-sequence output gives about the streams it
    /// cannot hold.
    pub fn warn_sequence(&self, output: &str) {
        let all: Vec<&OtherStream> = self.facts.streams.iter().collect();
        if all.is_empty() {
            return;
        }
        log::warn!(
            "{output}: {} of {} not written (image sequences hold only pictures); put them \
             back when making the movie: retake convert {output} -o MOVIE --media-from {}",
            MediaFacts::count_text(&all),
            self.facts.path,
            self.facts.path
        );
    }
}

/// How a source stream reaches the output.
struct Route {
    source: usize,
    out: usize,
    kind: StreamKind,
    in_tb: ff::Rational,
    out_tb: ff::Rational,
    last_dts: Option<i64>,
    /// Decoded and written as PCM (the container refused the codec).
    pcm: Option<PcmRoute>,
}

/// The stretch of source time that the current run of consecutive output
/// frames shows.
#[derive(Clone, Copy)]
struct Span {
    /// Source seconds of the span's first frame; earlier packets are cut
    /// (none when the span starts at the source's first picture).
    from: Option<f64>,
    /// Seconds added to source times to get output times.
    offset: f64,
}

/// Copies a source's non-picture streams into a video output as its
/// frames are written.
pub struct Passthrough {
    carry: Carry,
    input: Input,
    routes: Vec<Route>,
    held: Option<ff::Packet>,
    span: Option<Span>,
    last_index: Option<i64>,
    output: String,
}

impl Passthrough {
    /// Add an output stream for every source stream the container can
    /// hold (call before the header is written), set the timecode and
    /// reel name on the picture stream `video`, and warn once about what
    /// stays behind. `first` is the first output frame's number.
    pub fn attach(
        carry: Carry,
        octx: &mut Output,
        video: usize,
        first: i64,
        output: &str,
    ) -> Result<Option<Passthrough>> {
        let container = muxer_name(octx);
        let mov_like = container.contains("mov") || container.contains("mp4");
        let mut lost: Vec<String> = Vec::new();
        let mut meta = ff::Dictionary::new();
        if let Some(tc) = carry.timecode_at(first) {
            meta.set("timecode", &tc);
        }
        if let Some(reel) = &carry.facts.reel {
            if container.contains("mp4") {
                lost.push(format!(
                    "reel name `{reel}` (.mp4 has no place for it; use .mov)"
                ));
            } else {
                meta.set("reel_name", reel);
            }
        }
        if let Some(mut st) = octx.stream_mut(video) {
            st.set_metadata(meta.clone());
        }
        if !mov_like && carry.facts.timecode.is_some() {
            // Matroska keeps the clip's timecode as a file tag too.
            octx.set_metadata(meta);
        }
        if carry.facts.streams.is_empty() {
            return Ok(None);
        }
        let input = open(&carry.facts.path)?;
        // SAFETY: the muxer description of an output context.
        let ofmt = unsafe { (*octx.as_ptr()).oformat };
        let mut routes = Vec::new();
        let mut dropped: Vec<&OtherStream> = Vec::new();
        for s in &carry.facts.streams {
            let Some(ist) = input.stream(s.index) else {
                continue;
            };
            let par = ist.parameters();
            let storable = match s.kind {
                StreamKind::Attachment => container.contains("matroska"),
                _ => {
                    // SAFETY: the muxer is static; the id is a plain value.
                    let q = unsafe {
                        ffi::avformat_query_codec(ofmt, par.id().into(), ffi::FF_COMPLIANCE_NORMAL)
                    };
                    (q == 1 || (q < 0 && par.id() != ff::codec::Id::None))
                        && !mp4_only(&container, par.id())
                }
            };
            let in_tb = ist.time_base();
            if !storable {
                let pcm = if s.kind == StreamKind::Audio {
                    PcmRoute::add(par.clone(), octx, output)?
                } else {
                    None
                };
                match pcm {
                    Some(pcm) => {
                        log::info!(
                            "{output}: {} sound written as PCM (.{} cannot hold it)",
                            s.codec,
                            crate::extension(output)
                        );
                        routes.push(Route {
                            source: s.index,
                            out: pcm.out(),
                            kind: s.kind,
                            in_tb,
                            out_tb: in_tb,
                            last_dts: None,
                            pcm: Some(pcm),
                        });
                    }
                    None => dropped.push(s),
                }
                continue;
            }
            let mut ost = octx
                .add_stream(ff::encoder::find(ff::codec::Id::None))
                .map_err(|e| {
                    Error::output(
                        output,
                        format!("cannot add a {} stream: {}", s.kind.name(), describe(&e)),
                    )
                })?;
            ost.set_parameters(par);
            ost.set_time_base(in_tb);
            ost.set_metadata(ist.metadata().to_owned());
            // SAFETY: plain fields of a stream not yet written; the muxer
            // picks the tag its container uses for the codec.
            unsafe {
                (*(*ost.as_mut_ptr()).codecpar).codec_tag = 0;
                (*ost.as_mut_ptr()).disposition = (*ist.as_ptr()).disposition;
            }
            if s.kind != StreamKind::Attachment {
                routes.push(Route {
                    source: s.index,
                    out: ost.index(),
                    kind: s.kind,
                    in_tb,
                    out_tb: in_tb,
                    last_dts: None,
                    pcm: None,
                });
            }
        }
        if !dropped.is_empty() {
            let codecs: Vec<String> = dropped
                .iter()
                .map(|s| format!("{} {}", s.kind.name(), s.codec))
                .collect();
            lost.push(format!(
                "{} ({}) of {}: .{} cannot hold {}; use .mkv (or .mov) to keep {}",
                MediaFacts::count_text(&dropped),
                codecs.join(", "),
                carry.facts.path,
                crate::extension(output),
                if dropped.len() == 1 { "it" } else { "them" },
                if dropped.len() == 1 { "it" } else { "them" },
            ));
        }
        if !lost.is_empty() {
            log::warn!("{output}: not carried over: {}", lost.join("; "));
        }
        if routes.is_empty() {
            return Ok(None);
        }
        Ok(Some(Passthrough {
            carry,
            input,
            routes,
            held: None,
            span: None,
            last_index: None,
            output: output.to_string(),
        }))
    }

    /// Learn the time bases the muxer settled on (after the header).
    pub fn header_written(&mut self, octx: &Output) {
        for r in &mut self.routes {
            if let Some(st) = octx.stream(r.out) {
                r.out_tb = st.time_base();
                if let Some(p) = r.pcm.as_mut() {
                    p.set_out_tb(st.time_base());
                }
            }
        }
    }

    /// Copy the packets shown with output frame `index`, which is the
    /// `written`-th frame of the output at `out_rate` frames per second.
    pub fn frame(
        &mut self,
        index: i64,
        written: i64,
        out_rate: Rational,
        octx: &mut Output,
    ) -> Result<()> {
        if self.last_index != Some(index - 1) {
            let from = self.carry.seconds(index);
            let rate = if out_rate.is_valid() {
                out_rate.as_f64()
            } else {
                24.0
            };
            let at_start = index - self.carry.shift <= self.carry.facts.first_frame;
            self.span = Some(Span {
                from: (!at_start).then_some(from),
                offset: written as f64 / rate + self.carry.facts.video_start - from,
            });
            if self.last_index.is_none() && from > self.carry.facts.video_start + 1.0 {
                self.seek(from);
            }
        }
        self.last_index = Some(index);
        let until = self.carry.seconds(index + 1);
        self.pump(until, octx)
    }

    /// Copy what remains up to the end of the last frame written.
    pub fn finish(&mut self, octx: &mut Output) -> Result<()> {
        if let Some(last) = self.last_index {
            let until = self.carry.seconds(last + 1);
            self.pump(until, octx)?;
        }
        for r in &mut self.routes {
            if let Some(p) = r.pcm.as_mut() {
                p.finish(octx, &self.output)?;
            }
        }
        Ok(())
    }

    fn seek(&mut self, seconds: f64) {
        let ts = (seconds * f64::from(ffi::AV_TIME_BASE)) as i64;
        // SAFETY: the input is open; -1 seeks in AV_TIME_BASE units.
        let ret = unsafe {
            ffi::av_seek_frame(self.input.as_mut_ptr(), -1, ts, ffi::AVSEEK_FLAG_BACKWARD)
        };
        if ret < 0 {
            log::debug!(
                "{}: seek for its sound failed; reading from the start",
                self.carry.facts.path
            );
        }
        self.held = None;
    }

    /// Write every carried packet that starts before source time `until`.
    fn pump(&mut self, until: f64, octx: &mut Output) -> Result<()> {
        let Some(span) = self.span else {
            return Ok(());
        };
        loop {
            let mut packet = match self.held.take() {
                Some(p) => p,
                None => {
                    let mut p = ff::Packet::empty();
                    match p.read(&mut self.input) {
                        Ok(()) => p,
                        Err(ff::Error::Eof) => return Ok(()),
                        Err(e) => {
                            log::warn!(
                                "{}: its other streams end early near {until:.3} s: {}",
                                self.carry.facts.path,
                                describe(&e)
                            );
                            return Ok(());
                        }
                    }
                }
            };
            let Some(route) = self.routes.iter_mut().find(|r| r.source == packet.stream()) else {
                continue;
            };
            let tb = f64::from(route.in_tb);
            let Some(ts) = packet.pts().or(packet.dts()) else {
                continue;
            };
            let start = ts as f64 * tb;
            if start >= until {
                self.held = Some(packet);
                return Ok(());
            }
            let end = start + packet.duration().max(0) as f64 * tb;
            let before = match (span.from, route.kind) {
                (None, _) => false,
                (Some(from), StreamKind::Subtitle) => start < from,
                (Some(from), _) => end <= from,
            };
            if before {
                continue;
            }
            if let Some(pcm) = route.pcm.as_mut() {
                pcm.write(&packet, start + span.offset, octx, &self.output)?;
                continue;
            }
            let shift = (span.offset / tb).round() as i64;
            packet.set_pts(packet.pts().map(|t| t + shift));
            packet.set_dts(packet.dts().map(|t| t + shift));
            packet.rescale_ts(route.in_tb, route.out_tb);
            if let (Some(d), Some(last)) = (packet.dts(), route.last_dts) {
                if d <= last {
                    // Overlap where two spans meet: the earlier span's sound wins.
                    continue;
                }
            }
            route.last_dts = packet.dts().or(route.last_dts);
            packet.set_stream(route.out);
            packet.set_position(-1);
            packet.write_interleaved(octx).map_err(|e| {
                Error::output(
                    &self.output,
                    format!(
                        "cannot write its {} stream: {}",
                        route.kind.name(),
                        describe(&e)
                    ),
                )
            })?;
        }
    }
}

/// Codecs FFmpeg's MOV muxer lists but writes only in MP4 mode (it fails
/// the header with "only supported in MP4").
fn mp4_only(container: &str, id: ff::codec::Id) -> bool {
    use ff::codec::Id;
    container == "mov" && matches!(id, Id::FLAC | Id::OPUS | Id::TRUEHD)
}

fn muxer_name(octx: &Output) -> String {
    octx.format().name().to_string()
}
