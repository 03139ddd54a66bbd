//! Handing over: a holder that stops reconciling (its Lease lost, or the process stopping) is done
//! within its grace period, even when a pass never finishes.
use super::super::stop_within;
use std::time::Duration;

#[tokio::test(start_paused = true)]
async fn a_pass_that_never_ends_is_dropped_after_the_grace_period() {
    let (stop_tx, stop_rx) = tokio::sync::oneshot::channel::<()>();
    let (dropped_tx, dropped_rx) = tokio::sync::oneshot::channel::<()>();
    // A controller whose pass ignores the stop: kube's graceful shutdown would wait for it forever.
    let controller = tokio::spawn(async move {
        let _dropped = DropSignal(Some(dropped_tx));
        let _ = stop_rx.await;
        std::future::pending::<()>().await;
    });
    let started = tokio::time::Instant::now();
    assert!(!stop_within(controller, stop_tx, Duration::from_secs(5)).await);
    assert_eq!(started.elapsed(), Duration::from_secs(5));
    dropped_rx.await.expect("the pass was dropped");
}

#[tokio::test(start_paused = true)]
async fn passes_that_finish_in_time_are_waited_for() {
    let (stop_tx, stop_rx) = tokio::sync::oneshot::channel::<()>();
    let controller = tokio::spawn(async move {
        let _ = stop_rx.await;
        tokio::time::sleep(Duration::from_secs(2)).await;
    });
    let started = tokio::time::Instant::now();
    assert!(stop_within(controller, stop_tx, Duration::from_secs(5)).await);
    assert_eq!(started.elapsed(), Duration::from_secs(2));
}

struct DropSignal(Option<tokio::sync::oneshot::Sender<()>>);

impl Drop for DropSignal {
    fn drop(&mut self) {
        if let Some(signal) = self.0.take() {
            let _ = signal.send(());
        }
    }
}
