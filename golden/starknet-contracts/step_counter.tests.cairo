#[cfg(test)]
mod tests {
    use super::{StepCounter, IStepCounter};

    #[test]
    fn constructor_sets_state() {
        let mut state = StepCounter::contract_state_for_testing();
        StepCounter::constructor(ref state, 100, 7);
        assert_eq!(IStepCounter::get(@state), 100);
        assert_eq!(IStepCounter::get_step(@state), 7);
    }

    #[test]
    fn ticks_use_the_step() {
        let mut state = StepCounter::contract_state_for_testing();
        StepCounter::constructor(ref state, 5, 3);
        IStepCounter::tick(ref state);
        assert_eq!(IStepCounter::get(@state), 8);
        IStepCounter::tick_many(ref state, 4);
        assert_eq!(IStepCounter::get(@state), 20);
        IStepCounter::tick_many(ref state, 0);
        assert_eq!(IStepCounter::get(@state), 20);
    }

    #[test]
    #[should_panic(expected: ('Step must be positive',))]
    fn zero_step_rejected() {
        let mut state = StepCounter::contract_state_for_testing();
        StepCounter::constructor(ref state, 1, 0);
    }

    #[test]
    #[should_panic]
    fn overflow_panics() {
        let mut state = StepCounter::contract_state_for_testing();
        StepCounter::constructor(ref state, 0xffffffffffffffffffffffffffffffff, 1);
        IStepCounter::tick(ref state);
    }
}
