#[cfg(test)]
mod tests {
    use starknet::SyscallResultTrait;
    use starknet::syscalls::deploy_syscall;
    use super::{IStepCounterDispatcher, IStepCounterDispatcherTrait, StepCounter};

    fn deploy(initial_value: u128, step: u128) -> IStepCounterDispatcher {
        let calldata = array![initial_value.into(), step.into()];
        let (address, _) = deploy_syscall(StepCounter::TEST_CLASS_HASH, 0, calldata.span(), false)
            .unwrap_syscall();
        IStepCounterDispatcher { contract_address: address }
    }

    #[test]
    fn constructor_sets_state() {
        let counter = deploy(100, 7);
        assert_eq!(counter.get(), 100);
        assert_eq!(counter.get_step(), 7);
    }

    #[test]
    fn ticks_use_the_step() {
        let counter = deploy(5, 3);
        counter.tick();
        assert_eq!(counter.get(), 8);
        counter.tick_many(4);
        assert_eq!(counter.get(), 20);
        counter.tick_many(0);
        assert_eq!(counter.get(), 20);
    }

    #[test]
    #[should_panic(expected: ('Step must be positive', 'CONSTRUCTOR_FAILED'))]
    fn zero_step_rejected() {
        deploy(1, 0);
    }

    #[test]
    #[should_panic]
    fn overflow_panics() {
        let counter = deploy(0xffffffffffffffffffffffffffffffff, 1);
        counter.tick();
    }
}
