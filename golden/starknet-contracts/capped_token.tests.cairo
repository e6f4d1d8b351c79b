#[cfg(test)]
mod tests {
    use starknet::syscalls::deploy_syscall;
    use starknet::testing::{pop_log_raw, set_contract_address};
    use starknet::{ContractAddress, SyscallResultTrait};
    use super::{CappedToken, ICappedTokenDispatcher, ICappedTokenDispatcherTrait};

    const CAP: u256 = 1000000000000000000000000000000000000000; // 10^39 > 2^128

    fn owner() -> ContractAddress {
        'owner'.try_into().unwrap()
    }

    fn alice() -> ContractAddress {
        'alice'.try_into().unwrap()
    }

    fn zero() -> ContractAddress {
        0.try_into().unwrap()
    }

    fn deploy() -> ICappedTokenDispatcher {
        let mut calldata = array![];
        let name: ByteArray = "Capped Token of the Cairo evals";
        let symbol: ByteArray = "CAP";
        name.serialize(ref calldata);
        symbol.serialize(ref calldata);
        CAP.serialize(ref calldata);
        owner().serialize(ref calldata);
        let (address, _) = deploy_syscall(CappedToken::TEST_CLASS_HASH, 0, calldata.span(), false)
            .unwrap_syscall();
        ICappedTokenDispatcher { contract_address: address }
    }

    fn assert_transfer(token: ContractAddress, from: ContractAddress, to: ContractAddress, value: u256) {
        let (keys, data) = pop_log_raw(token).expect('no event emitted');
        let mut expected_keys = array![];
        let mut expected_data = array![];
        let event = CappedToken::Event::Transfer(CappedToken::Transfer { from, to, value });
        starknet::Event::append_keys_and_data(@event, ref expected_keys, ref expected_data);
        assert(keys == expected_keys.span(), 'event keys differ');
        assert(data == expected_data.span(), 'event data differ');
    }

    #[test]
    fn metadata() {
        let token = deploy();
        assert_eq!(token.name(), "Capped Token of the Cairo evals");
        assert_eq!(token.symbol(), "CAP");
        assert_eq!(token.decimals(), 18);
        assert_eq!(token.cap(), CAP);
        assert_eq!(token.total_supply(), 0);
    }

    #[test]
    fn mint_transfer_burn() {
        let token = deploy();
        set_contract_address(owner());
        token.mint(alice(), CAP - 1);
        set_contract_address(alice());
        assert!(token.transfer(owner(), 100));
        token.burn(50);
        assert_eq!(token.balance_of(alice()), CAP - 151);
        assert_eq!(token.balance_of(owner()), 100);
        assert_eq!(token.total_supply(), CAP - 51);
        let address = token.contract_address;
        assert_transfer(address, zero(), alice(), CAP - 1);
        assert_transfer(address, alice(), owner(), 100);
        assert_transfer(address, alice(), zero(), 50);
    }

    #[test]
    #[should_panic(expected: ('Cap exceeded', 'ENTRYPOINT_FAILED'))]
    fn minting_past_the_cap_panics() {
        let token = deploy();
        set_contract_address(owner());
        token.mint(alice(), CAP);
        token.mint(alice(), 1);
    }

    #[test]
    #[should_panic(expected: ('Not the owner', 'ENTRYPOINT_FAILED'))]
    fn only_the_owner_mints() {
        let token = deploy();
        set_contract_address(alice());
        token.mint(alice(), 1);
    }

    #[test]
    #[should_panic(expected: ('Insufficient balance', 'ENTRYPOINT_FAILED'))]
    fn cannot_burn_more_than_owned() {
        let token = deploy();
        set_contract_address(owner());
        token.mint(alice(), 10);
        set_contract_address(alice());
        token.burn(11);
    }
}
