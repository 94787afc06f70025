//! The few FFmpeg calls that `ffmpeg-next` does not wrap. Every `unsafe` block of the crate is
//! here, each with the reason it is sound.
#![allow(unsafe_code)]

use std::ffi::CStr;

use ffmpeg_next::ffi as sys;

/// `av_version_info()`: FFmpeg's version string.
pub(crate) fn version_info() -> String {
    // SAFETY: av_version_info returns a pointer to a static NUL-terminated string (or NULL on
    // odd builds, checked).
    unsafe {
        let p = sys::av_version_info();
        if p.is_null() {
            return "unknown".into();
        }
        CStr::from_ptr(p).to_string_lossy().into_owned()
    }
}

/// Looks up a demuxer or input device by name (`lavfi`, `v4l2`, `avfoundation`, `dshow`).
pub(crate) fn find_input_format(name: &CStr) -> Option<ffmpeg_next::Format> {
    // SAFETY: av_find_input_format takes a NUL-terminated name and returns a pointer to a
    // static AVInputFormat or NULL; Input::wrap only stores the pointer.
    unsafe {
        let p = sys::av_find_input_format(name.as_ptr());
        if p.is_null() {
            None
        } else {
            Some(ffmpeg_next::Format::Input(
                ffmpeg_next::format::Input::wrap(p as *mut _),
            ))
        }
    }
}

/// The wrappers of FFmpeg's hardware encoders.
const HARDWARE_WRAPPERS: &[&str] = &[
    "nvenc",
    "vaapi",
    "qsv",
    "videotoolbox",
    "amf",
    "mediafoundation",
    "v4l2m2m",
];

/// `av_write_trailer`, where any value >= 0 is success: the MP4 muxer in fragmented mode
/// returns a positive byte count, which `ffmpeg-next`'s `write_trailer` takes for an error.
pub(crate) fn write_trailer(
    output: &mut ffmpeg_next::format::context::Output,
) -> Result<(), ffmpeg_next::Error> {
    // SAFETY: the context is open and its header was written (the caller's order); FFmpeg
    // only writes through the pointer.
    let r = unsafe { sys::av_write_trailer(output.as_mut_ptr()) };
    if r < 0 {
        Err(ffmpeg_next::Error::from(r))
    } else {
        Ok(())
    }
}

/// One encoder that this FFmpeg build contains.
pub(crate) struct CodecEntry {
    pub codec: ffmpeg_next::Codec,
    pub hardware: bool,
}

/// All encoders of `id` in this build (`av_codec_iterate`, which `ffmpeg-next` lacks).
pub(crate) fn encoders_of(id: ffmpeg_next::codec::Id) -> Vec<CodecEntry> {
    let mut out = Vec::new();
    let mut opaque = std::ptr::null_mut();
    loop {
        // SAFETY: av_codec_iterate walks FFmpeg's static codec table; `opaque` is the iteration
        // state it owns. The returned AVCodec is static, so reading its fields is sound.
        let (codec, caps, wrapper) = unsafe {
            let c = sys::av_codec_iterate(&mut opaque);
            if c.is_null() {
                break;
            }
            let wrapper = (*c).wrapper_name;
            let wrapper = (!wrapper.is_null())
                .then(|| CStr::from_ptr(wrapper).to_string_lossy().into_owned());
            (
                ffmpeg_next::Codec::wrap(c),
                (*c).capabilities as u32,
                wrapper,
            )
        };
        if !codec.is_encoder() || codec.id() != id {
            continue;
        }
        // Software libraries (libx264, libx265) have a wrapper name too, so the name alone
        // does not mean hardware.
        let hardware = caps & (sys::AV_CODEC_CAP_HARDWARE | sys::AV_CODEC_CAP_HYBRID) != 0
            || wrapper
                .as_deref()
                .is_some_and(|w| HARDWARE_WRAPPERS.contains(&w));
        out.push(CodecEntry { codec, hardware });
    }
    out
}

/// A hardware device context (`AVBufferRef`), released on drop.
pub(crate) struct HwDevice(*mut sys::AVBufferRef);

impl HwDevice {
    /// `av_hwdevice_ctx_create` for `kind` (e.g. `vaapi`, `qsv`) on the default device.
    pub(crate) fn create(kind: &CStr) -> Result<HwDevice, ffmpeg_next::Error> {
        // SAFETY: plain FFI calls with valid NUL-terminated strings and an out-pointer we own;
        // on success the buffer reference is ours to unref (Drop).
        unsafe {
            let t = sys::av_hwdevice_find_type_by_name(kind.as_ptr());
            if t == sys::AVHWDeviceType::AV_HWDEVICE_TYPE_NONE {
                return Err(ffmpeg_next::Error::EncoderNotFound);
            }
            let mut ctx = std::ptr::null_mut();
            let r =
                sys::av_hwdevice_ctx_create(&mut ctx, t, std::ptr::null(), std::ptr::null_mut(), 0);
            if r < 0 {
                return Err(ffmpeg_next::Error::from(r));
            }
            Ok(HwDevice(ctx))
        }
    }

    /// Allocates a frames context of `hw_format` surfaces holding `sw_format` pixels and hands
    /// a reference to `encoder` (its `hw_frames_ctx`), as VAAPI and QSV encoders require.
    pub(crate) fn attach_frames(
        &self,
        encoder: &mut ffmpeg_next::encoder::video::Video,
        hw_format: sys::AVPixelFormat,
        sw_format: sys::AVPixelFormat,
        width: u32,
        height: u32,
    ) -> Result<(), ffmpeg_next::Error> {
        // SAFETY: self.0 is a live device reference; the frames reference is created, filled,
        // initialised and then moved into the codec context (which unrefs it when freed).
        unsafe {
            let frames = sys::av_hwframe_ctx_alloc(self.0);
            if frames.is_null() {
                return Err(ffmpeg_next::Error::from(sys::AVERROR(libc_enomem())));
            }
            let fc = (*frames).data as *mut sys::AVHWFramesContext;
            (*fc).format = hw_format;
            (*fc).sw_format = sw_format;
            (*fc).width = width as i32;
            (*fc).height = height as i32;
            (*fc).initial_pool_size = 20;
            let r = sys::av_hwframe_ctx_init(frames);
            if r < 0 {
                let mut f = frames;
                sys::av_buffer_unref(&mut f);
                return Err(ffmpeg_next::Error::from(r));
            }
            let ctx = encoder.as_mut_ptr();
            (*ctx).pix_fmt = hw_format;
            (*ctx).hw_frames_ctx = frames;
        }
        Ok(())
    }
}

impl Drop for HwDevice {
    fn drop(&mut self) {
        // SAFETY: self.0 came from av_hwdevice_ctx_create and is unref'd exactly once.
        unsafe { sys::av_buffer_unref(&mut self.0) }
    }
}

/// Copies a system-memory frame (`sw`, in the frames context's `sw_format`) into a new
/// hardware surface from the frames context that `encoder` was opened with (VAAPI, QSV).
pub(crate) fn upload_frame(
    encoder: &mut ffmpeg_next::encoder::video::Encoder,
    sw: &ffmpeg_next::frame::Video,
) -> Result<ffmpeg_next::frame::Video, ffmpeg_next::Error> {
    // SAFETY: the encoder was opened with a frames context (attach_frames); the new frame is
    // owned by the returned wrapper (freed on drop, also on the error paths); `sw` is only
    // read. av_hwframe_get_buffer gives the frame a surface from the pool, and
    // av_hwframe_transfer_data copies the pixels into it.
    unsafe {
        let frames = (*encoder.as_mut_ptr()).hw_frames_ctx;
        if frames.is_null() {
            return Err(ffmpeg_next::Error::InvalidData);
        }
        let mut hw = ffmpeg_next::frame::Video::empty();
        let r = sys::av_hwframe_get_buffer(frames, hw.as_mut_ptr(), 0);
        if r < 0 {
            return Err(ffmpeg_next::Error::from(r));
        }
        let r = sys::av_hwframe_transfer_data(hw.as_mut_ptr(), sw.as_ptr(), 0);
        if r < 0 {
            return Err(ffmpeg_next::Error::from(r));
        }
        hw.set_pts(sw.pts());
        Ok(hw)
    }
}

/// One capture device that an input device (`v4l2`, `dshow`, ...) reports.
pub(crate) struct ListedDevice {
    pub name: String,
    pub description: String,
    /// The media types it names; empty when the input device does not say.
    pub video: bool,
    pub audio: bool,
    pub default: bool,
}

/// `avdevice_list_input_sources`: the devices `format` can open, as libavdevice finds them.
pub(crate) fn list_input_sources(
    format: &ffmpeg_next::format::Input,
) -> Result<Vec<ListedDevice>, ffmpeg_next::Error> {
    let mut out = Vec::new();
    // SAFETY: `format` points to a static AVInputFormat; the list is allocated by libavdevice,
    // read within its bounds (nb_devices, nb_media_types, nullable strings checked) and freed
    // once with avdevice_free_list_devices.
    unsafe {
        let mut list: *mut sys::AVDeviceInfoList = std::ptr::null_mut();
        let r = sys::avdevice_list_input_sources(
            format.as_ptr() as *mut _,
            std::ptr::null(),
            std::ptr::null_mut(),
            &mut list,
        );
        if r < 0 {
            sys::avdevice_free_list_devices(&mut list);
            return Err(ffmpeg_next::Error::from(r));
        }
        if list.is_null() {
            return Ok(out);
        }
        let text = |p: *const std::os::raw::c_char| {
            if p.is_null() {
                String::new()
            } else {
                CStr::from_ptr(p).to_string_lossy().into_owned()
            }
        };
        for i in 0..(*list).nb_devices.max(0) as usize {
            let d = *(*list).devices.add(i);
            if d.is_null() {
                continue;
            }
            let types: &[sys::AVMediaType] = if (*d).media_types.is_null() {
                &[]
            } else {
                std::slice::from_raw_parts((*d).media_types, (*d).nb_media_types.max(0) as usize)
            };
            out.push(ListedDevice {
                name: text((*d).device_name),
                description: text((*d).device_description),
                video: types.contains(&sys::AVMediaType::AVMEDIA_TYPE_VIDEO),
                audio: types.contains(&sys::AVMediaType::AVMEDIA_TYPE_AUDIO),
                default: (*list).default_device == i as i32,
            });
        }
        sys::avdevice_free_list_devices(&mut list);
    }
    Ok(out)
}

fn libc_enomem() -> i32 {
    12 // ENOMEM on every platform FFmpeg supports
}

// SAFETY: a hardware device reference is a refcounted AVBufferRef, which FFmpeg allows to be
// used and released from any thread.
unsafe impl Send for HwDevice {}

// SAFETY: an encoder owns its FFmpeg contexts (codec, swscale, hardware frames) exclusively;
// FFmpeg contexts are not tied to the thread that made them, only never used from two
// threads at once, which `&mut self` on every method guarantees. `ffmpeg-next` leaves
// `Send` off its scaler only because it holds a raw pointer.
unsafe impl Send for crate::encode::VideoEncoder {}

// SAFETY: as for VideoEncoder: exclusive ownership of its codec and swresample contexts.
unsafe impl Send for crate::audio::AudioEncoder {}
