//! Sound that an output's container cannot take as it is (Vorbis or FLAC
//! into MOV, say) is decoded and written as PCM, which every container
//! Retake writes to except MP4 accepts: lossless for 16-bit sources and
//! 24-bit for everything else.

use ff::format::context::Output;
use ff::format::sample::Type as SampleType;
use ff::format::Sample;
use ffmpeg_next as ff;
use retake_core::{Error, Result};

use crate::video::describe;

/// Decoder, resampler to packed integers, PCM encoder, for one stream.
pub struct PcmRoute {
    decoder: ff::decoder::Audio,
    encoder: ff::encoder::Audio,
    resampler: ff::software::resampling::Context,
    /// 1 / sample rate: PCM timestamps count samples.
    tb: ff::Rational,
    /// Output timestamp of the next sample, once the first is placed.
    next: Option<i64>,
    out: usize,
    out_tb: ff::Rational,
}

impl PcmRoute {
    /// Add a PCM stream for the source stream `par` to `octx`, when the
    /// container takes PCM; `Ok(None)` when it does not.
    pub fn add(
        par: ff::codec::Parameters,
        octx: &mut Output,
        output: &str,
    ) -> Result<Option<PcmRoute>> {
        let err = |what: &str, e: ff::Error| {
            Error::output(
                output,
                format!("cannot turn its sound into PCM ({what}): {}", describe(&e)),
            )
        };
        let decoder = ff::codec::context::Context::from_parameters(par)
            .and_then(|c| c.decoder().audio())
            .map_err(|e| err("no decoder", e))?;
        let wide = !matches!(decoder.format(), Sample::U8(_) | Sample::I16(_));
        let (id, format) = if wide {
            (ff::codec::Id::PCM_S24LE, Sample::I32(SampleType::Packed))
        } else {
            (ff::codec::Id::PCM_S16LE, Sample::I16(SampleType::Packed))
        };
        // SAFETY: the muxer description is static; the id is a value.
        let ok = unsafe {
            ff::ffi::avformat_query_codec(
                (*octx.as_ptr()).oformat,
                id.into(),
                ff::ffi::FF_COMPLIANCE_NORMAL,
            )
        };
        if ok != 1 {
            return Ok(None);
        }
        let Some(codec) = ff::encoder::find(id) else {
            return Ok(None);
        };
        let rate = decoder.rate();
        let channels = decoder.channels();
        let layout = match decoder.channel_layout() {
            l if l.is_empty() => ff::ChannelLayout::default(i32::from(channels)),
            l => l,
        };
        let tb = ff::Rational::new(1, rate as i32);
        let mut enc = ff::codec::context::Context::new_with_codec(codec)
            .encoder()
            .audio()
            .map_err(|e| err("encoder", e))?;
        enc.set_rate(rate as i32);
        enc.set_channel_layout(layout);
        enc.set_channels(i32::from(channels));
        enc.set_format(format);
        enc.set_time_base(tb);
        let encoder = enc.open_as(codec).map_err(|e| err("encoder", e))?;
        let resampler = ff::software::resampling::Context::get(
            decoder.format(),
            layout,
            rate,
            format,
            layout,
            rate,
        )
        .map_err(|e| err("sample conversion", e))?;
        let mut ost = octx.add_stream(codec).map_err(|e| err("stream", e))?;
        ost.set_parameters(&encoder);
        ost.set_time_base(tb);
        let out = ost.index();
        Ok(Some(PcmRoute {
            decoder,
            encoder,
            resampler,
            tb,
            next: None,
            out,
            out_tb: tb,
        }))
    }

    /// The output stream's index.
    pub fn out(&self) -> usize {
        self.out
    }

    /// Learn the time base the muxer settled on.
    pub fn set_out_tb(&mut self, tb: ff::Rational) {
        self.out_tb = tb;
    }

    /// Decode `packet`, whose first sample belongs at output second
    /// `at`, and write its samples as PCM.
    pub fn write(
        &mut self,
        packet: &ff::Packet,
        at: f64,
        octx: &mut Output,
        output: &str,
    ) -> Result<()> {
        if self.next.is_none() {
            self.next = Some((at / f64::from(self.tb)).round().max(0.0) as i64);
        }
        if let Err(e) = self.decoder.send_packet(packet) {
            log::warn!(
                "{output}: skipping a damaged sound packet: {}",
                describe(&e)
            );
            return Ok(());
        }
        self.receive(octx, output)
    }

    /// Write what the decoder and encoder still hold.
    pub fn finish(&mut self, octx: &mut Output, output: &str) -> Result<()> {
        let _ = self.decoder.send_eof();
        self.receive(octx, output)?;
        let _ = self.encoder.send_eof();
        self.drain(octx, output)
    }

    fn receive(&mut self, octx: &mut Output, output: &str) -> Result<()> {
        let mut decoded = ff::frame::Audio::empty();
        while self.decoder.receive_frame(&mut decoded).is_ok() {
            if decoded.channel_layout().is_empty() {
                decoded.set_channel_layout(self.encoder.channel_layout());
            }
            let mut packed = ff::frame::Audio::empty();
            self.resampler.run(&decoded, &mut packed).map_err(|e| {
                Error::output(
                    output,
                    format!("sample conversion failed: {}", describe(&e)),
                )
            })?;
            let pts = self.next.unwrap_or(0);
            packed.set_pts(Some(pts));
            self.next = Some(pts + packed.samples() as i64);
            self.encoder.send_frame(&packed).map_err(|e| {
                Error::output(output, format!("PCM encoding failed: {}", describe(&e)))
            })?;
            self.drain(octx, output)?;
        }
        Ok(())
    }

    fn drain(&mut self, octx: &mut Output, output: &str) -> Result<()> {
        let mut packet = ff::Packet::empty();
        while self.encoder.receive_packet(&mut packet).is_ok() {
            packet.set_stream(self.out);
            packet.rescale_ts(self.tb, self.out_tb);
            packet.write_interleaved(octx).map_err(|e| {
                Error::output(output, format!("cannot write its sound: {}", describe(&e)))
            })?;
        }
        Ok(())
    }
}
