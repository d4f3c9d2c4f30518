mod common;
use common::*;
use dsm::*;

#[test]
fn smoke() {
    let mut ex = Exchange::new(
        quizconnect(),
        FakeHost::new(Db::Rows(vec![
            ("35", "john", "12345"),
            ("35", "anna", "54321"),
        ])),
    );
    ex.spawn("caller", "quizconnect_caller", "35", &[]);
    ex.send("caller", Event::invite("From: a\r\n"));
    for (t, c) in &ex.log {
        println!("{t}: {c:?}");
    }
    println!("{:?}", ex.graph("caller"));
    for t in ex.sessions.keys() {
        println!("{t} {:?}", ex.graph(t));
    }
    println!("{:?}", ex.host.calls);
}
