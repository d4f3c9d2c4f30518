//! GPIO through the character device: a missing chip is an error naming chip and line, never
//! a panic. (Real lines are exercised in the QEMU raspi3b boot test, which has a BCM2835 GPIO
//! controller; this host has no gpio-sim module.)
#![cfg(feature = "linux")]

#[test]
fn missing_chip_is_a_located_error() {
    let Err(err) = board::linux::open_output("/dev/gpiochip-dsmbox-missing", 17) else {
        panic!("opening a missing chip succeeded");
    };
    let text = err.to_string();
    assert!(
        text.starts_with("gpio /dev/gpiochip-dsmbox-missing line 17:"),
        "{text}"
    );
    let Err(err) = board::linux::open_input("/dev/gpiochip-dsmbox-missing", 4) else {
        panic!("opening a missing chip succeeded");
    };
    assert!(err.to_string().contains("line 4"));
}
