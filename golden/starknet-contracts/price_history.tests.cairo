#[cfg(test)]
mod tests {
    use starknet::SyscallResultTrait;
    use starknet::syscalls::deploy_syscall;
    use super::{IPriceHistoryDispatcher, IPriceHistoryDispatcherTrait, PriceHistory};

    fn deploy() -> IPriceHistoryDispatcher {
        let (address, _) = deploy_syscall(PriceHistory::TEST_CLASS_HASH, 0, array![].span(), false)
            .unwrap_syscall();
        IPriceHistoryDispatcher { contract_address: address }
    }

    #[test]
    fn records_in_order() {
        let history = deploy();
        assert_eq!(history.latest(), Option::None);
        assert_eq!(history.count(), 0);
        history.record(100);
        history.record(250);
        history.record(175);
        assert_eq!(history.latest(), Option::Some(175));
        assert_eq!(history.count(), 3);
        assert_eq!(history.max_price(), 250);
    }

    #[test]
    fn averages_the_most_recent() {
        let history = deploy();
        history.record(10);
        history.record(20);
        history.record(30);
        history.record(41);
        assert_eq!(history.average_of_last(1), 41);
        assert_eq!(history.average_of_last(2), 35); // (30 + 41) / 2 rounded down
        assert_eq!(history.average_of_last(4), 25);
    }

    #[test]
    fn average_does_not_overflow() {
        let history = deploy();
        let big: u128 = 0xffffffffffffffffffffffffffffffff;
        history.record(big);
        history.record(big);
        assert_eq!(history.average_of_last(2), big);
    }

    #[test]
    #[should_panic(expected: ('Not enough prices', 'ENTRYPOINT_FAILED'))]
    fn cannot_average_more_than_recorded() {
        let history = deploy();
        history.record(5);
        history.average_of_last(2);
    }

    #[test]
    #[should_panic(expected: ('Price must be positive', 'ENTRYPOINT_FAILED'))]
    fn zero_price_rejected() {
        deploy().record(0);
    }
}
