//! Where a guest's phone finds an order's digital goods: the share server's address on the
//! venue network and the QR code that carries it.

use std::net::{IpAddr, Ipv4Addr, UdpSocket};

use qrcode::QrCode;
use qrcode::render::svg;

/// The share server's port on the booth laptop.
pub const SHARE_PORT: u16 = 8737;

/// This computer's address on the local network (the one its default route leaves by), or
/// loopback when it has none. Nothing is sent: connecting a UDP socket only picks a route.
pub fn lan_address() -> IpAddr {
    UdpSocket::bind((Ipv4Addr::UNSPECIFIED, 0))
        .and_then(|s| s.connect((Ipv4Addr::new(192, 0, 2, 1), 9)).map(|()| s))
        .and_then(|s| s.local_addr())
        .map(|a| a.ip())
        .unwrap_or(IpAddr::V4(Ipv4Addr::LOCALHOST))
}

/// The link of the download page of the order with secret `token`, on `host`.
pub fn order_url(host: IpAddr, token: &str) -> String {
    match host {
        IpAddr::V6(v6) => format!("http://[{v6}]:{SHARE_PORT}/o/{token}"),
        IpAddr::V4(v4) => format!("http://{v4}:{SHARE_PORT}/o/{token}"),
    }
}

/// `text` as a QR code in SVG (black on white, with its quiet zone), or `None` when it is too
/// long for a QR code.
pub fn qr_svg(text: &str) -> Option<String> {
    let code = QrCode::new(text.as_bytes()).ok()?;
    Some(
        code.render::<svg::Color<'_>>()
            .min_dimensions(200, 200)
            .quiet_zone(true)
            .build(),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn links_and_their_qr_codes() {
        let url = order_url(IpAddr::V4(Ipv4Addr::new(10, 0, 0, 7)), "ab12");
        assert_eq!(url, "http://10.0.0.7:8737/o/ab12");
        let v6 = order_url(
            "fe80::1".parse().unwrap_or(IpAddr::V4(Ipv4Addr::LOCALHOST)),
            "x",
        );
        assert_eq!(v6, "http://[fe80::1]:8737/o/x");
        let svg = qr_svg(&url).unwrap_or_default();
        assert!(svg.starts_with("<?xml") && svg.contains("<svg") && svg.contains("<path"));
        assert!(qr_svg(&"x".repeat(5000)).is_none());
    }
}
