use snforge_std::{
    ContractClassTrait, DeclareResultTrait, EventSpyAssertionsTrait, declare, spy_events,
    start_cheat_caller_address,
};
use starknet::ContractAddress;

fn account(name: felt252) -> ContractAddress {
    name.try_into().unwrap()
}

fn zero() -> ContractAddress {
    0.try_into().unwrap()
}

fn deploy() -> ISimpleNftDispatcher {
    let class = declare("SimpleNft").unwrap().contract_class();
    let (contract_address, _) = class.deploy(@array![account('minter').into()]).unwrap();
    start_cheat_caller_address(contract_address, account('minter'));
    ISimpleNftDispatcher { contract_address }
}

fn call_as(nft: ISimpleNftDispatcher, name: felt252) {
    start_cheat_caller_address(nft.contract_address, account(name));
}

#[test]
fn mints_sequential_ids_and_emits_transfers() {
    let nft = deploy();
    let mut spy = spy_events();
    assert_eq!(nft.mint(account('alice')), 1);
    assert_eq!(nft.mint(account('alice')), 2);
    assert_eq!(nft.mint(account('bob')), 3);
    assert_eq!(nft.owner_of(2), account('alice'));
    assert_eq!(nft.balance_of(account('alice')), 2);
    assert_eq!(nft.balance_of(account('bob')), 1);
    let minted = SimpleNft::Transfer { from: zero(), to: account('bob'), token_id: 3 };
    spy.assert_emitted(@array![(nft.contract_address, SimpleNft::Event::Transfer(minted))]);
}

#[test]
fn an_approved_account_transfers_once() {
    let nft = deploy();
    let id = nft.mint(account('alice'));
    call_as(nft, 'alice');
    let mut spy = spy_events();
    nft.approve(account('bob'), id);
    assert_eq!(nft.get_approved(id), account('bob'));
    call_as(nft, 'bob');
    nft.transfer_from(account('alice'), account('carol'), id);
    assert_eq!(nft.owner_of(id), account('carol'));
    assert_eq!(nft.get_approved(id), zero());
    assert_eq!(nft.balance_of(account('alice')), 0);
    assert_eq!(nft.balance_of(account('carol')), 1);
    let approval = SimpleNft::Approval { owner: account('alice'), approved: account('bob'), token_id: id };
    let transfer = SimpleNft::Transfer { from: account('alice'), to: account('carol'), token_id: id };
    spy
        .assert_emitted(
            @array![
                (nft.contract_address, SimpleNft::Event::Approval(approval)),
                (nft.contract_address, SimpleNft::Event::Transfer(transfer)),
            ],
        );
}

#[test]
#[should_panic(expected: 'Not authorized')]
fn strangers_cannot_transfer() {
    let nft = deploy();
    let id = nft.mint(account('alice'));
    call_as(nft, 'mallory');
    nft.transfer_from(account('alice'), account('mallory'), id);
}

#[test]
#[should_panic(expected: 'Invalid token')]
fn unknown_tokens_have_no_owner() {
    deploy().owner_of(7);
}

#[test]
#[should_panic(expected: 'Not the minter')]
fn only_the_minter_mints() {
    let nft = deploy();
    call_as(nft, 'alice');
    nft.mint(account('alice'));
}
