#[cfg(test)]
mod tests {
    use super::{OwnedCounter, IOwnedCounter};
    use starknet::{ContractAddress, contract_address_const};
    use starknet::testing::set_caller_address;

    fn owner() -> ContractAddress {
        contract_address_const::<0x123>()
    }

    fn stranger() -> ContractAddress {
        contract_address_const::<0x456>()
    }

    #[test]
    fn owner_can_increase() {
        let mut state = OwnedCounter::contract_state_for_testing();
        OwnedCounter::constructor(ref state, owner());
        assert_eq!(IOwnedCounter::owner(@state), owner());
        assert_eq!(IOwnedCounter::get(@state), 0);
        set_caller_address(owner());
        IOwnedCounter::increase(ref state, 5);
        IOwnedCounter::increase(ref state, 2);
        assert_eq!(IOwnedCounter::get(@state), 7);
    }

    #[test]
    #[should_panic(expected: ('Caller is not the owner',))]
    fn stranger_cannot_increase() {
        let mut state = OwnedCounter::contract_state_for_testing();
        OwnedCounter::constructor(ref state, owner());
        set_caller_address(stranger());
        IOwnedCounter::increase(ref state, 1);
    }

    #[test]
    fn transfer_moves_rights() {
        let mut state = OwnedCounter::contract_state_for_testing();
        OwnedCounter::constructor(ref state, owner());
        set_caller_address(owner());
        IOwnedCounter::increase(ref state, 1);
        IOwnedCounter::transfer_ownership(ref state, stranger());
        assert_eq!(IOwnedCounter::owner(@state), stranger());
        set_caller_address(stranger());
        IOwnedCounter::increase(ref state, 3);
        assert_eq!(IOwnedCounter::get(@state), 4);
    }

    #[test]
    #[should_panic(expected: ('Caller is not the owner',))]
    fn stranger_cannot_transfer_ownership() {
        let mut state = OwnedCounter::contract_state_for_testing();
        OwnedCounter::constructor(ref state, owner());
        set_caller_address(stranger());
        IOwnedCounter::transfer_ownership(ref state, stranger());
    }
}
