#[cfg(test)]
mod tests {
    use starknet::syscalls::deploy_syscall;
    use starknet::testing::{pop_log_raw, set_contract_address};
    use starknet::{ContractAddress, SyscallResultTrait};
    use super::{ISimpleNftDispatcher, ISimpleNftDispatcherTrait, SimpleNft};

    fn account(name: felt252) -> ContractAddress {
        name.try_into().unwrap()
    }

    fn zero() -> ContractAddress {
        0.try_into().unwrap()
    }

    fn deploy() -> ISimpleNftDispatcher {
        let (address, _) = deploy_syscall(
            SimpleNft::TEST_CLASS_HASH, 0, array![account('minter').into()].span(), false,
        )
            .unwrap_syscall();
        set_contract_address(account('minter'));
        ISimpleNftDispatcher { contract_address: address }
    }

    fn assert_next_event(contract: ContractAddress, expected: SimpleNft::Event) {
        let (keys, data) = pop_log_raw(contract).expect('no event emitted');
        let mut expected_keys = array![];
        let mut expected_data = array![];
        starknet::Event::append_keys_and_data(@expected, ref expected_keys, ref expected_data);
        assert(keys == expected_keys.span(), 'event keys differ');
        assert(data == expected_data.span(), 'event data differ');
    }

    #[test]
    fn mints_sequential_ids() {
        let nft = deploy();
        assert_eq!(nft.mint(account('alice')), 1);
        assert_eq!(nft.mint(account('alice')), 2);
        assert_eq!(nft.mint(account('bob')), 3);
        assert_eq!(nft.owner_of(2), account('alice'));
        assert_eq!(nft.balance_of(account('alice')), 2);
        let transfer = SimpleNft::Transfer { from: zero(), to: account('alice'), token_id: 1 };
        assert_next_event(nft.contract_address, SimpleNft::Event::Transfer(transfer));
    }

    #[test]
    fn approved_accounts_transfer_once() {
        let nft = deploy();
        let id = nft.mint(account('alice'));
        set_contract_address(account('alice'));
        nft.approve(account('bob'), id);
        assert_eq!(nft.get_approved(id), account('bob'));
        set_contract_address(account('bob'));
        nft.transfer_from(account('alice'), account('carol'), id);
        assert_eq!(nft.owner_of(id), account('carol'));
        assert_eq!(nft.get_approved(id), zero());
        assert_eq!(nft.balance_of(account('alice')), 0);
        assert_eq!(nft.balance_of(account('carol')), 1);
    }

    #[test]
    #[should_panic(expected: ('Not authorized', 'ENTRYPOINT_FAILED'))]
    fn strangers_cannot_transfer() {
        let nft = deploy();
        let id = nft.mint(account('alice'));
        set_contract_address(account('mallory'));
        nft.transfer_from(account('alice'), account('mallory'), id);
    }

    #[test]
    #[should_panic(expected: ('Invalid token', 'ENTRYPOINT_FAILED'))]
    fn unknown_tokens_have_no_owner() {
        deploy().owner_of(7);
    }

    #[test]
    #[should_panic(expected: ('Not the minter', 'ENTRYPOINT_FAILED'))]
    fn only_the_minter_mints() {
        let nft = deploy();
        set_contract_address(account('alice'));
        nft.mint(account('alice'));
    }
}
