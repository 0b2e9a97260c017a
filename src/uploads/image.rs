//! Images from uploads, made into square thumbnails (avatars). The upload's
//! type is decided by its content (PNG, JPEG or WebP), never by its name or
//! declared type; it is decoded under limits
//! (a small file can declare a huge image), turned upright (EXIF
//! orientation), centre-cropped to a square, resized to 256×256 and encoded
//! anew. No byte of the upload is served back, its metadata (EXIF, GPS)
//! included. Opaque images become JPEG; images with transparency stay PNG.
//!
//! CPU-bound: call [`thumbnail`] through [`crate::cpu::run`].

use std::io::Cursor;

use image::codecs::jpeg::JpegEncoder;
use image::codecs::png::PngEncoder;
use image::imageops::{self, FilterType};
use image::metadata::Orientation;
use image::{
    DynamicImage, ExtendedColorType, ImageBuffer, ImageDecoder, ImageEncoder, ImageError, ImageFormat,
    ImageReader, Limits, Pixel,
};

use crate::error::{AppError, AppResult};
use crate::storage::FileType;

/// Side of every thumbnail, in pixels.
pub const SIZE: u32 = 256;
/// Widest and tallest image decoded, in pixels.
const MAX_SIDE: u32 = 8000;
/// Most memory one decoded image may take (a 24-megapixel photo takes 72 MB).
const MAX_DECODED_BYTES: u64 = 128 * 1024 * 1024;
/// JPEG quality of the thumbnails.
const JPEG_QUALITY: u8 = 85;
/// The input field errors name.
const FIELD: &str = "file";

/// An encoded thumbnail.
pub struct Thumbnail {
    /// The encoded image.
    pub bytes: Vec<u8>,
    /// JPEG or PNG.
    pub file_type: FileType,
}

/// Decode `upload` (PNG, JPEG or WebP) and make its thumbnail. Anything else, a corrupt or truncated image, or one past the limits is `BAD_USER_INPUT` on `file`.
pub fn thumbnail(upload: &[u8]) -> AppResult<Thumbnail> {
    let mut reader = ImageReader::new(Cursor::new(upload))
        .with_guessed_format()
        .map_err(AppError::internal)?;
    if !matches!(
        reader.format(),
        Some(ImageFormat::Png | ImageFormat::Jpeg | ImageFormat::WebP)
    ) {
        return Err(AppError::bad_input(FIELD, "send a PNG, JPEG or WebP image"));
    }
    let mut limits = Limits::default();
    limits.max_image_width = Some(MAX_SIDE);
    limits.max_image_height = Some(MAX_SIDE);
    limits.max_alloc = Some(MAX_DECODED_BYTES);
    reader.limits(limits);
    let mut decoder = reader.into_decoder().map_err(refused)?;
    if decoder.total_bytes() > MAX_DECODED_BYTES {
        return Err(refused(ImageError::Limits(
            image::error::LimitErrorKind::InsufficientMemory.into(),
        )));
    }
    // Unreadable orientation metadata is not worth refusing the image for.
    let orientation = decoder.orientation().unwrap_or(Orientation::NoTransforms);
    let mut image = DynamicImage::from_decoder(decoder).map_err(refused)?;
    image.apply_orientation(orientation);
    encode(image)
}

fn refused(err: ImageError) -> AppError {
    match err {
        ImageError::Limits(_) => AppError::bad_input(
            FIELD,
            format!("the image is too large: at most {MAX_SIDE}×{MAX_SIDE} pixels"),
        ),
        _ => AppError::bad_input(FIELD, "the file is not a valid PNG, JPEG or WebP image"),
    }
}

/// The centred square of `image`, resized to `SIZE`×`SIZE` (cropping a view, so the full-size square is never copied).
fn square<P>(image: &ImageBuffer<P, Vec<P::Subpixel>>) -> ImageBuffer<P, Vec<P::Subpixel>>
where
    P: Pixel + 'static,
{
    let (width, height) = image.dimensions();
    let side = width.min(height);
    let view = imageops::crop_imm(image, (width - side) / 2, (height - side) / 2, side, side);
    imageops::resize(&*view, SIZE, SIZE, FilterType::Triangle)
}

fn encode(image: DynamicImage) -> AppResult<Thumbnail> {
    if !image.color().has_alpha() {
        return jpeg(&square(&image.into_rgb8()));
    }
    let rgba = square(&image.into_rgba8());
    if rgba.pixels().all(|p| p.0[3] == u8::MAX) {
        return jpeg(&DynamicImage::ImageRgba8(rgba).into_rgb8());
    }
    let mut bytes = Vec::new();
    PngEncoder::new(&mut bytes)
        .write_image(rgba.as_raw(), SIZE, SIZE, ExtendedColorType::Rgba8)
        .map_err(AppError::internal)?;
    Ok(Thumbnail {
        bytes,
        file_type: FileType::Png,
    })
}

fn jpeg(rgb: &image::RgbImage) -> AppResult<Thumbnail> {
    let mut bytes = Vec::new();
    JpegEncoder::new_with_quality(&mut bytes, JPEG_QUALITY)
        .write_image(rgb.as_raw(), SIZE, SIZE, ExtendedColorType::Rgb8)
        .map_err(AppError::internal)?;
    Ok(Thumbnail {
        bytes,
        file_type: FileType::Jpeg,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use image::{GenericImageView, Rgb, RgbImage, Rgba, RgbaImage};

    fn encoded(image: &DynamicImage, format: ImageFormat) -> Vec<u8> {
        let mut out = Cursor::new(Vec::new());
        image.write_to(&mut out, format).unwrap();
        out.into_inner()
    }

    /// Left third red, middle green, right third blue.
    fn stripes(width: u32, height: u32) -> DynamicImage {
        DynamicImage::ImageRgb8(RgbImage::from_fn(width, height, |x, _| match 3 * x / width {
            0 => Rgb([255, 0, 0]),
            1 => Rgb([0, 255, 0]),
            _ => Rgb([0, 0, 255]),
        }))
    }

    fn decoded(thumbnail: &Thumbnail) -> DynamicImage {
        image::load_from_memory(&thumbnail.bytes).unwrap()
    }

    fn field(result: AppResult<Thumbnail>) -> Option<&'static str> {
        match result {
            Err(AppError::BadInput { field, .. }) => Some(field),
            _ => None,
        }
    }

    #[test]
    fn every_supported_format_becomes_a_square_thumbnail() {
        for format in [ImageFormat::Png, ImageFormat::Jpeg, ImageFormat::WebP] {
            let thumb = thumbnail(&encoded(&stripes(900, 300), format)).unwrap();
            assert_eq!(thumb.file_type, FileType::Jpeg, "{format:?}");
            let image = decoded(&thumb).into_rgb8();
            assert_eq!(image.dimensions(), (SIZE, SIZE));
            // The middle third (green) is what remains of a 3:1 image.
            for (x, y) in [(5, 5), (128, 128), (250, 250)] {
                let Rgb([r, g, b]) = *image.get_pixel(x, y);
                assert!(g > 200 && r < 60 && b < 60, "{format:?} ({x},{y}) = {r},{g},{b}");
            }
        }
    }

    #[test]
    fn small_images_are_enlarged() {
        let thumb = thumbnail(&encoded(&stripes(30, 60), ImageFormat::Png)).unwrap();
        assert_eq!(decoded(&thumb).dimensions(), (SIZE, SIZE));
    }

    #[test]
    fn transparency_keeps_png_and_opaque_alpha_becomes_jpeg() {
        let clear = RgbaImage::from_fn(64, 64, |x, _| Rgba([0, 0, 255, if x < 32 { 0 } else { 255 }]));
        let thumb = thumbnail(&encoded(&DynamicImage::ImageRgba8(clear), ImageFormat::Png)).unwrap();
        assert_eq!(thumb.file_type, FileType::Png);
        assert_eq!(decoded(&thumb).into_rgba8().get_pixel(2, 128).0[3], 0);

        let opaque = RgbaImage::from_pixel(64, 64, Rgba([0, 0, 255, 255]));
        let thumb = thumbnail(&encoded(&DynamicImage::ImageRgba8(opaque), ImageFormat::WebP)).unwrap();
        assert_eq!(thumb.file_type, FileType::Jpeg);
    }

    #[test]
    fn anything_but_a_valid_image_is_refused_on_file() {
        assert_eq!(field(thumbnail(b"just some text, not a picture")), Some("file"));
        assert_eq!(field(thumbnail(b"")), Some("file"));
        let gif = b"GIF89a\x01\x00\x01\x00\x00\x00\x00;";
        assert_eq!(field(thumbnail(gif)), Some("file"));
        let png = encoded(&stripes(64, 64), ImageFormat::Png);
        assert_eq!(field(thumbnail(&png[..png.len() / 2])), Some("file"));
        let mut corrupt = png.clone();
        for byte in &mut corrupt[60..100] {
            *byte = !*byte;
        }
        assert_eq!(field(thumbnail(&corrupt)), Some("file"));
    }

    #[test]
    fn oversized_dimensions_are_refused_before_decoding() {
        let wide = encoded(&stripes(MAX_SIDE + 1, 1), ImageFormat::Png);
        let Err(AppError::BadInput { field, message }) = thumbnail(&wide) else {
            panic!("a {}-pixel-wide image was accepted", MAX_SIDE + 1);
        };
        assert_eq!(field, "file");
        assert!(message.contains("too large"), "{message}");
    }
}
